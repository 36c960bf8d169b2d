using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using VeoFunctions.Operations;

namespace VeoFunctions.Functions;

/// <summary>
/// Every day at 03:17 UTC, purges the durable histories of jobs that ended longer ago than
/// <c>Retention:HistoryDays</c> (<see cref="HistoryRetention"/>). The schedule is fixed rather than a setting: a timer
/// whose schedule setting is missing stops the host from loading the app.
/// </summary>
public sealed class PurgeJobHistories(HistoryRetention retention)
{
    public const string Schedule = "0 17 3 * * *";

    [Function(nameof(PurgeJobHistories))]
    public Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken) =>
        retention.PurgeAsync(durable, cancellationToken);
}
