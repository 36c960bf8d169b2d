using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Jobs;

namespace VeoFunctions.Operations;

/// <summary>
/// Purges the durable histories of jobs that ended more than <see cref="RetentionOptions.HistoryDays"/> ago: listed by
/// terminal status only (a purge filter without statuses would delete running instances too), each job purged with
/// its salvage run (<c>{jobId}-salvage</c>), and a job whose salvage run still archives is left for a later day.
/// Idempotency does not depend on the history: claims and the submission ledger are kept for good, so a replayed
/// start after the purge is still the same job and nothing new reaches fal.
/// </summary>
public sealed partial class HistoryRetention(IOptions<RetentionOptions> options, TimeProvider time, ILogger<HistoryRetention> logger)
{
    private static readonly OrchestrationRuntimeStatus[] Ended =
        [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

    /// <summary>Purges what is due; returns how many instances were purged.</summary>
    public async Task<int> PurgeAsync(DurableTaskClient durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(durable);
        var retention = options.Value;
        if (retention.HistoryDays == 0)
        {
            return 0;
        }

        var cutoff = time.GetUtcNow() - TimeSpan.FromDays(retention.HistoryDays);
        var query = new OrchestrationQuery { CreatedTo = cutoff, Statuses = Ended, PageSize = 100 };
        var due = new List<OrchestrationMetadata>();
        await foreach (var instance in durable.GetAllInstancesAsync(query).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            // Listed first, purged after: purging while paging could move the pages under the listing.
            if (instance.Name == nameof(VideoJobOrchestrator) && due.Count < retention.MaxPurgesPerRun)
            {
                due.Add(instance);
            }
        }

        int purged = 0;
        foreach (var job in due)
        {
            // Every salvage round of the job (each resume of a run its archive ended starts the next one).
            var salvageIds = new List<string>();
            bool archiving = false;
            for (int round = 1; !archiving; round++)
            {
                string salvageId = JobIds.SalvageIdFor(job.InstanceId, round);
                var salvage = await durable.GetInstanceAsync(salvageId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
                if (salvage is null)
                {
                    break;
                }

                archiving = !salvage.IsCompleted;
                salvageIds.Add(salvageId);
            }

            if (archiving)
            {
                continue; // its video is still being archived: the job's status must stay
            }

            foreach (string salvageId in salvageIds)
            {
                purged += (await durable.PurgeInstanceAsync(salvageId, cancellation: cancellationToken).ConfigureAwait(false)).PurgedInstanceCount;
            }

            purged += (await durable.PurgeInstanceAsync(job.InstanceId, cancellation: cancellationToken).ConfigureAwait(false)).PurgedInstanceCount;
        }

        Log.Purged(logger, purged, cutoff);
        return purged;
    }

    private static partial class Log
    {
        [LoggerMessage(8001, LogLevel.Information, "Purged {Count} finished durable histories created before {Cutoff}")]
        public static partial void Purged(ILogger logger, int count, DateTimeOffset cutoff);
    }
}
