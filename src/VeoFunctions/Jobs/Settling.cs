using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using VeoFunctions.Jobs.Activities;
using VeoFunctions.Money;

namespace VeoFunctions.Jobs;

/// <summary>
/// After a job's end: what fal keeps of it, and what it cost. Neither can change how the job ended; both are given up
/// (logged) rather than hold a job forever.
/// </summary>
internal static class Settling
{
    private static readonly TimeSpan MaxRecheckInterval = TimeSpan.FromHours(1);

    /// <summary>
    /// Deletes fal's stored payloads and output files of an archived video (when configured and an admin key is set:
    /// the activity decides). A failure leaves them to fal's own retention.
    /// </summary>
    public static async Task CleanUpAtFalAsync(JobRun run, FalJob fal)
    {
        try
        {
            await run.Context.CallActivityAsync<bool>(nameof(DeleteFalPayloads), fal, run.Retry);
        }
        catch (TaskFailedException failed)
        {
            run.Context.CreateReplaySafeLogger(typeof(Settling).FullName!).LogWarning(5201,
                "Job {JobId}: fal's copies of request {RequestId} could not be deleted; fal's retention applies: {Reason}", run.JobId, fal.RequestId, JobRun.Reason(failed));
        }
    }

    /// <summary>Counts the job's end (its metrics are recorded by an activity: orchestrator code replays).</summary>
    public static async Task RecordEndAsync(JobRun run)
    {
        var status = run.Status;
        var phase = Enum.Parse<JobPhase>(status.Phase, ignoreCase: true);
        try
        {
            await run.Context.CallActivityAsync<bool>(nameof(RecordJobEnd),
                new JobEndRecord(run.JobId, phase, run.Ended ?? JobEndCause.StepFailed, run.Fal?.RequestId, run.Fal?.SubmittedAt, status.Timeline ?? []), run.Retry);
        }
        catch (TaskFailedException)
        {
            // Metrics are never worth holding a job for.
        }
    }

    /// <summary>
    /// Settles the job's cost: released from the day's budget when nothing was billed, fal's billed cost in place of the
    /// estimate once fal's billing shows it. fal's usage data lags, so a bill not booked yet is asked for again with a
    /// growing pause (<see cref="JobTiming.BillingFirstRecheck"/>), up to <see cref="JobTiming.BillingHorizon"/> after the
    /// end; then the estimate is kept. The status shows where the bill stands meanwhile.
    /// </summary>
    public static async Task SettleAsync(JobRun run, ArchivePlan plan)
    {
        if (plan.Quote is not { } quote)
        {
            return; // a job no door quoted has nothing to settle
        }

        var hint = run.Status.Video is not null ? FalBillingHint.Billed : run.UnbilledByFal ? FalBillingHint.NotBilled : FalBillingHint.Unknown;
        var settlement = new CostSettlement(run.JobId, quote, run.Fal?.RequestId, hint, run.Status.Video?.ManifestBlobName, Final: false);
        DateTime horizon = run.Now + run.Timing.BillingHorizon;
        for (var pause = run.Timing.BillingFirstRecheck; ; pause = pause * 2 < MaxRecheckInterval ? pause * 2 : MaxRecheckInterval)
        {
            bool final = run.Now >= horizon;
            try
            {
                var cost = await run.Context.CallActivityAsync<JobCost>(nameof(SettleJobCost), settlement with { Final = final }, run.Retry);
                run.Costs(cost);
                if (cost.Billing != JobBilling.Pending)
                {
                    return;
                }
            }
            catch (TaskFailedException failed) when (!final)
            {
                run.Costs((run.Cost ?? JobCost.Pending(quote.Estimate)) with { Note = $"The cost could not be settled yet ({JobRun.Reason(failed)}); it is tried again." });
            }
            catch (TaskFailedException failed)
            {
                run.Context.CreateReplaySafeLogger(typeof(Settling).FullName!).LogWarning(5202,
                    "Job {JobId}: its cost could not be settled and stays reserved on its budget day: {Reason}", run.JobId, JobRun.Reason(failed));
                return;
            }

            var wake = run.Now + pause;
            await run.Context.CreateTimer(wake < horizon ? wake : horizon, CancellationToken.None);
        }
    }
}
