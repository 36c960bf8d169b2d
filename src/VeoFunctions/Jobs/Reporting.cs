using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using VeoFunctions.Callbacks;
using VeoFunctions.Jobs.Activities;

namespace VeoFunctions.Jobs;

/// <summary>
/// Tells whoever asked how a job ended: the result file beside the manifest it came from, and the caller's signed
/// callback (retried with backoff for hours). Neither can change the job's outcome.
/// </summary>
internal static class Reporting
{
    public static async Task ReportEndAsync(JobRun run, ManifestEntry? manifest)
    {
        var status = run.Status;
        if (manifest is not null)
        {
            await run.UntilDoneAsync<bool>(nameof(RecordManifestOutcome), new ManifestOutcome(manifest, status), "The manifest's result file could not be updated");
        }

        if (run.Callback is not { } callback)
        {
            return;
        }

        var logger = run.Context.CreateReplaySafeLogger(typeof(Reporting).FullName!);
        foreach (var phaseCallback in run.PhaseCallbacks)
        {
            try
            {
                await phaseCallback;
            }
            catch (TaskFailedException failed)
            {
                logger.LogWarning(5101, "Job {JobId}: a phase callback to its caller failed: {Reason}", run.JobId, failed.FailureDetails.ErrorMessage);
            }
        }

        // Each salvage round after the first ends with its own event id, so a receiver that drops repeated ids still gets
        // the round that archived the video after one that failed. The first round's id is as deployed.
        int round = JobIds.JobOf(run.Context.InstanceId).SalvageRound;
        string eventId = !run.IsSalvage ? $"{run.JobId}-end" : round > 1 ? $"{run.JobId}-end-salvaged-{round}" : $"{run.JobId}-end-salvaged";
        try
        {
            var outcome = await run.Context.CallActivityAsync<CallbackOutcome>(nameof(DeliverCallback), new CallbackDelivery(run.JobId, callback.Url, eventId, status), CallbackRetry(run.Timing));
            if (!outcome.Delivered)
            {
                logger.LogWarning(5102, "Job {JobId}: its caller's callback refused the delivery ({StatusCode}): {Reason}", run.JobId, outcome.StatusCode, outcome.Error);
            }
        }
        catch (TaskFailedException failed)
        {
            logger.LogWarning(5103, "Job {JobId}: its caller's callback kept failing and was given up: {Reason}", run.JobId, failed.FailureDetails.ErrorMessage);
        }
    }

    // First after CallbackFirstRetryInterval (30 s), doubling up to an hour: with 12 attempts, 11 waits of 5 h 4 min in all.
    private static TaskOptions CallbackRetry(JobTiming timing) => TaskOptions.FromRetryPolicy(
        new RetryPolicy(Math.Max(1, timing.CallbackAttempts), timing.CallbackFirstRetryInterval > TimeSpan.Zero ? timing.CallbackFirstRetryInterval : TimeSpan.FromSeconds(30),
            backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromHours(1)));
}
