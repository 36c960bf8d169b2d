using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Money;

namespace VeoFunctions.Jobs;

/// <summary>
/// Starts a job's salvage run (<see cref="VideoSalvageOrchestrator"/>), the one run per job that archives a video fal
/// made after its job had ended without it. Two things start it: a successful fal delivery that finds the job closed
/// (<see cref="FalWebhookIntake"/>), and <c>POST /api/videos/{jobId}/resume</c> on a job whose own archive ended it
/// (<see cref="ResumeArchiveAsync"/>). Either way the job's <see cref="DeliveryLedger"/> record is claimed first, and the
/// run's id is deduplicated, so a job has one run however many deliveries and resumes race. A resume of a run that its
/// archive ended in turn starts the next round (<see cref="JobIds.SalvageIdFor"/>), claimed on the same record.
/// </summary>
public sealed partial class SalvageRuns(SubmissionLedger ledger, DeliveryLedger deliveries, IOptions<JobOptions> jobs, ILogger<SalvageRuns> logger, Telemetry.VeoMetrics metrics)
{
    private const int WaitRounds = 20;

    private static readonly TimeSpan WaitRound = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// What a salvage run of an orchestration that ended without its video needs from it. Its input holds the plan; the
    /// first release's timings lack the archive's, so today's are used, with the job's own billing checks.
    /// </summary>
    public ArchivePlan? PlanOf(OrchestrationMetadata? instance) =>
        instance?.ReadInputAs<VideoJobInput>() is { } input
            ? ArchivePlan.Of(input) with { Timing = JobTiming.From(jobs.Value) with { BillingFirstRecheck = input.Timing.BillingFirstRecheck, BillingHorizon = input.Timing.BillingHorizon } }
            : null;

    /// <summary>
    /// Whether the job ended failed straight out of archiving, with fal's request known and no video: its video counted
    /// as gone (fal's CDN kept answering 404) or its URL was refused (not on <c>Fal:MediaHosts</c>, a blocked address), or
    /// fal's result named none. fal keeps a result for weeks, so such an end is one a resume can undo.
    /// </summary>
    public static bool EndedByItsArchive(OrchestrationMetadata job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var progress = job.ReadCustomStatusAs<JobProgress>();
        return JobIds.EndedWithoutVideo(job)
            && progress is { Video: null, FalRequestId: not null, Timeline: [.., { Phase: JobPhase.Archiving }, { Phase: JobPhase.Failed }] };
    }

    /// <summary>
    /// Resumes the archive of a job that <see cref="EndedByItsArchive"/>: starts a salvage run, which reads fal's result
    /// again for a fresh video URL and archives it under today's settings (a media host added since, a CDN that is back).
    /// <paramref name="latest"/> is the job's latest salvage run: none, the first round is started; one that its archive
    /// ended in turn (a resume made too early), the next round. Each round only archives what fal already billed, so
    /// resuming again never costs a second clip; a round starts only after the one before it ended, so one archives at a
    /// time. False when the job did not end so, its request is not on record, or its latest run did not end so.
    /// </summary>
    public async Task<bool> ResumeArchiveAsync(DurableTaskClient durable, OrchestrationMetadata job, OrchestrationMetadata? latest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (!EndedByItsArchive(job) || (latest is not null && !EndedByItsArchive(latest)) || PlanOf(job) is not { } plan
            || await ledger.FindAsync(job.InstanceId, cancellationToken).ConfigureAwait(false) is not { } fal)
        {
            return false;
        }

        // fal finished (the job saw it); the URL it named is the one that failed, so the run asks fal's result for it again.
        var finished = new FalWebhookEvent(fal.RequestId, Ok: true, VideoUrl: null, ContentType: null, FileSize: null, Error: null);
        int round = latest is null ? 1 : JobIds.JobOf(latest.InstanceId).SalvageRound + 1;
        var claim = round == 1
            ? await deliveries.RecordAsync(job.InstanceId, finished, plan, cancellationToken).ConfigureAwait(false)
            : await deliveries.ClaimRoundAsync(job.InstanceId, round, cancellationToken).ConfigureAwait(false);
        if (claim is null)
        {
            return false;
        }

        await StartAsync(durable, job.InstanceId, new SalvageInput(claim.Plan, fal, finished), claim.Won, cancellationToken, round).ConfigureAwait(false);
        Log.Resumed(logger, job.InstanceId, fal.RequestId, round);
        return true;
    }

    /// <summary>
    /// Starts the job's salvage run. <paramref name="won"/>: this caller claimed it on the delivery record; a caller that
    /// did not gives the winner a moment, then starts it itself (the winner may have died).
    /// </summary>
    public async Task StartAsync(DurableTaskClient durable, string jobId, SalvageInput input, bool won, CancellationToken cancellationToken, int round = 1)
    {
        ArgumentNullException.ThrowIfNull(durable);
        ArgumentNullException.ThrowIfNull(input);
        string salvageId = JobIds.SalvageIdFor(jobId, round);
        if (!won)
        {
            // Backends do not make a start under one id atomic (Azure Storage checks, queues the start, then records it),
            // so the claim's winner starts the run, and the others only make sure it exists.
            for (int look = 0; look < WaitRounds; look++)
            {
                if (await durable.GetInstanceAsync(salvageId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false) is not null)
                {
                    return;
                }

                // Wall-clock time on purpose: this waits for another request's real progress, not for the app's clock.
                await Task.Delay(WaitRound, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
        }

        try
        {
            await durable.ScheduleNewOrchestrationInstanceAsync(nameof(VideoSalvageOrchestrator), input, JobIds.StartOnce(salvageId), cancellationToken).ConfigureAwait(false);
            Log.Started(logger, jobId, input.Fal.RequestId);
            metrics.Salvaged();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (await durable.GetInstanceAsync(salvageId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false) is null)
            {
                throw;
            }

            // A concurrent caller started it.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(4007, LogLevel.Warning, "Job {JobId} ended without its video and fal delivered request {RequestId} afterwards: salvage run started")]
        public static partial void Started(ILogger logger, string jobId, string requestId);

        [LoggerMessage(4012, LogLevel.Warning, "Job {JobId} had ended when its archive of fal request {RequestId} failed; resumed by its salvage run, round {Round}")]
        public static partial void Resumed(ILogger logger, string jobId, string requestId, int round);
    }
}
