using Fal.Queue;
using Microsoft.DurableTask;

namespace VeoFunctions.Jobs.Activities;

/// <summary>Asks fal where the request is (with its latest log lines): the fallback when the webhook is late or lost.</summary>
public sealed class CheckFalStatus(FalQueueClient fal) : TaskActivity<FalJob, FalProgress>
{
    /// <summary>How many of fal's latest log lines a caller sees.</summary>
    public const int LogLines = 3;

    public override async Task<FalProgress> RunAsync(TaskActivityContext context, FalJob input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var status = await fal.GetStatusAsync(input.ToFalRequest(), logs: true, CancellationToken.None).ConfigureAwait(false);
        string? error = status.HasFailed
            ? $"fal reported the generation failed{(status.ErrorType is null ? "" : $" ({status.ErrorType})")}: {status.Error ?? "no detail given"}."
            : null;
        var logs = status.Logs.Count == 0 ? null : status.Logs.TakeLast(LogLines).Select(line => line.Message).ToArray();
        return new FalProgress(status.IsCompleted, status.State is FalRequestState.InProgress or FalRequestState.Completed, status.QueuePosition, error, logs, status.ErrorType);
    }
}
