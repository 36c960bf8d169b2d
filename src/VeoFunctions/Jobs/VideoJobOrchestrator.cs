using Microsoft.DurableTask;
using VeoFunctions.Jobs.Activities;
using VeoFunctions.Jobs.Legacy;

namespace VeoFunctions.Jobs;

/// <summary>
/// The story of one job: check the images, upload them to fal, submit, wait for fal's webhook (asking fal
/// ourselves if it is late), archive the video. Once fal has accepted a request, the job keeps trying to get its
/// video until fal says there is none. Deterministic by law: no I/O, clock, GUIDs or configuration here, and only
/// references (never bytes) in its state.
/// </summary>
/// <remarks>
/// Versioned: <see cref="Version"/> is host.json's <c>defaultVersion</c>, which the host stamps on every new
/// instance. A deployed version's steps never change; a change to the story is a new version beside it
/// (docs/design.md).
/// </remarks>
public sealed class VideoJobOrchestrator : TaskOrchestrator<VideoJobInput, VideoJobResult?>
{
    /// <summary>The current version of the story (host.json <c>extensions.durableTask.defaultVersion</c>).</summary>
    public const string Version = "2.1";

    /// <summary>The previous version: its instances wait and archive on the frozen steps in <c>Jobs/Legacy</c>.</summary>
    public const string Version20 = "2.0";

    /// <summary>The external event our webhook function raises.</summary>
    public const string FalWebhookEvent = "FalWebhook";

    /// <summary>The external event the cancel function raises (its data: who asked, for the record).</summary>
    public const string CancelEvent = "CancelRequested";

    /// <summary>The external event that makes a stalled archive try again now.</summary>
    public const string ResumeArchiveEvent = "ResumeArchive";

    public override Task<VideoJobResult?> RunAsync(TaskOrchestrationContext context, VideoJobInput job)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(job);

        // Instances started before versioning have no version: they replay the first release's steps.
        return string.IsNullOrEmpty(context.Version) ? LegacyAsync(context, job) : RunStoryAsync(context, job);
    }

    private static async Task<VideoJobResult?> RunStoryAsync(TaskOrchestrationContext context, VideoJobInput job)
    {
        var plan = ArchivePlan.Of(job);
        using var run = new JobRun(context, job.JobId, job.Timing, job.CreatedAt, job.Callback, cost: plan.PendingCost);
        VideoJobResult? result = null;
        JobFailedException? failure = null;
        try
        {
            result = await TellAsync(run, job);
        }
        catch (JobFailedException ended)
        {
            failure = ended;
        }

        // 6. Tell whoever asked, then settle what the job cost: fal's bill (asked again for a while if fal has not booked
        //    it yet) replaces the estimate, on the status, the archive manifest and the day's budget.
        await Reporting.ReportEndAsync(run, job.Manifest);
        await Settling.RecordEndAsync(run);
        await Settling.SettleAsync(run, plan);

        // An expected end (a caller's cancel, fal's verdict, a refused input) completes the orchestration: it is the
        // story working as designed, not a failure for the host to log with a stack trace. Only an unexpected one
        // fails it. The status tells them apart by the job's phase, not the orchestration's.
        return failure is not null && run.Ended?.IsExpected() != true ? throw failure : result;
    }

    /// <summary>
    /// Instances of 2.0 wait without racing a status check against the webhook and end on the CDN's first 404; 2.1
    /// changed both. Salvage runs are stamped too (one without a version counts as 2.0, the first to have them).
    /// </summary>
    internal static bool Runs20(TaskOrchestrationContext context) => context.Version is Version20 or null or "";

    private static async Task<VideoJobResult?> LegacyAsync(TaskOrchestrationContext context, VideoJobInput job) => await LegacyVideoJob.RunAsync(context, job);

    private static async Task<VideoJobResult> TellAsync(JobRun run, VideoJobInput job)
    {
        var plan = ArchivePlan.Of(job);
        try
        {
            // 1. Check and upload the images. Nothing is spent yet, so a cancel here costs nothing.
            var imageUrls = await PrepareImagesAsync(run, job);
            if (run.CancelRequested.IsCompleted)
            {
                throw run.End(JobPhase.Cancelled, "The job was cancelled before it was sent to fal; nothing was spent.", JobEndCause.Cancelled);
            }

            // 2. The paid step: at most once; a lost answer is looked up, never resubmitted blindly.
            var submitted = await Submitting.SubmitAsync(run, job, imageUrls);
            var fal = submitted.Fal;

            // 3. Wait for fal's last word: its webhook, or our status checks; past the deadline or on a cancel, ask fal
            //    to stop and wait, bounded, for what it says.
            var verdict = fal is null ? FalVerdict.Unknown(submitted.Unresolved!)
                : Runs20(run.Context) ? await WaitingForFalV20.WaitAsync(run, fal, submitted.Delivered, submitted.Adopted)
                : await WaitingForFal.WaitAsync(run, fal, submitted.Delivered, submitted.Adopted);

            // 4. A job without its video closes, unless a delivery reached its record first: then that video is
            //    archived. A delivery after the close is archived by a salvage run (FalWebhookIntake).
            if (!verdict.HasVideo && await CloseWithoutVideoAsync(run, plan) is { } late)
            {
                (fal, verdict) = (late.Fal, FalVerdict.From(late.Delivered, new DateTimeOffset(run.Now, TimeSpan.Zero)));
                run.Submitted(late.Fal);
            }

            if (!verdict.HasVideo || fal is null)
            {
                run.UnbilledByFal = verdict.Unbilled;
                var cause = run.StoppedByCaller ? JobEndCause.Cancelled
                    : verdict.Kind == FalVerdictKind.Failed ? JobEndCause.FalFailed
                    : submitted.Unresolved is not null ? JobEndCause.LostSubmit
                    : JobEndCause.NoVerdict;
                throw run.End(run.StoppedByCaller ? JobPhase.Cancelled : JobPhase.Failed, verdict.Reason ?? "fal did not produce a video.", cause);
            }

            if (run.StoppedByCaller)
            {
                run.Note("The job was cancelled by its caller, but fal finished the video anyway and billed it, so it is archived.");
            }

            // 5. Archive the paid video, retrying for hours if fal's CDN or our storage is down; then leave nothing of it at fal.
            var video = Runs20(run.Context) ? await ArchivingV20.ArchiveAsync(run, fal, verdict, plan) : await Archiving.ArchiveAsync(run, fal, verdict, plan);
            run.Archived(video, run.StoppedByCaller ? JobPhase.Cancelled : JobPhase.Completed);
            await Settling.CleanUpAtFalAsync(run, fal);
            return new VideoJobResult(fal.RequestId, video);
        }
        catch (TaskFailedException failed)
        {
            // A step before fal was involved failed for good (a refused image, fal's 422, a submit fal rejected).
            var cause = run.StoppedByCaller ? JobEndCause.Cancelled : JobRun.IsJobFailure(failed.FailureDetails) ? JobEndCause.Refused : JobEndCause.StepFailed;
            throw run.End(run.StoppedByCaller ? JobPhase.Cancelled : JobPhase.Failed, JobRun.Reason(failed), cause);
        }
    }

    private static async Task<string[]> PrepareImagesAsync(JobRun run, VideoJobInput job)
    {
        run.Enter(JobPhase.Validating);
        var staged = await Task.WhenAll(job.Images.Select(image => image.Staged is { } ready
            ? Task.FromResult(ready)
            : run.Context.CallActivityAsync<StagedImage>(nameof(FetchImage), new FetchImageInput(job.JobId, image.Index, new Uri(image.Url!)), run.Retry)));

        run.Enter(JobPhase.Uploading);
        return await Task.WhenAll(staged.OrderBy(i => i.Index).Select(image => run.Context.CallActivityAsync<string>(nameof(UploadImageToFal), image, run.Retry)));
    }

    /// <summary>
    /// Closes the job's delivery record (see <see cref="Money.DeliveryLedger"/>), returning a delivery that got there
    /// first. Kept trying through a storage outage: skipping the close would leave a late delivery unclaimed.
    /// </summary>
    private static Task<LateDelivery?> CloseWithoutVideoAsync(JobRun run, ArchivePlan plan) =>
        run.UntilDoneAsync<LateDelivery?>(nameof(CloseWithoutVideo), plan, "The job's delivery record could not be closed");

    private static T Min<T>(T a, T b) where T : IComparable<T> => a.CompareTo(b) <= 0 ? a : b;
}
