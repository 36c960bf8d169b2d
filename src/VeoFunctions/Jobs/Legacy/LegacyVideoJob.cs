using Fal.Queue;
using Microsoft.DurableTask;
using VeoFunctions.Archive;
using VeoFunctions.Jobs.Activities;

namespace VeoFunctions.Jobs.Legacy;

/// <summary>
/// The job's story as the first release deployed it, for instances started before versioning (their version is
/// empty). Frozen: their histories replay against exactly these steps, so nothing here may change. Delete it once
/// no instance without a version is running (docs/design.md, "Deploying a change to the story").
/// </summary>
internal static class LegacyVideoJob
{
    public static async Task<VideoJobResult> RunAsync(TaskOrchestrationContext context, VideoJobInput job)
    {
        var retry = RetryOptions(job.Timing);
        string? requestId = null;
        using var stopListening = new CancellationTokenSource();
        var cancelled = context.WaitForExternalEvent<string>(VideoJobOrchestrator.CancelEvent, stopListening.Token);
        try
        {
            context.SetCustomStatus(new JobProgress(JobPhase.Validating));
            var staged = await Task.WhenAll(job.Images.Select(image => image.Staged is { } ready
                ? Task.FromResult(ready)
                : context.CallActivityAsync<StagedImage>(nameof(FetchImage), new FetchImageInput(job.JobId, image.Index, new Uri(image.Url!)), retry)));

            context.SetCustomStatus(new JobProgress(JobPhase.Uploading));
            var imageUrls = await Task.WhenAll(staged.OrderBy(i => i.Index).Select(image => context.CallActivityAsync<string>(nameof(UploadImageToFal), image, retry)));

            // Checking IsCompleted is deterministic: events are replayed in history order.
            if (cancelled.IsCompleted)
            {
                throw new JobFailedException("The job was cancelled before it was sent to fal; nothing was spent.");
            }

            context.SetCustomStatus(new JobProgress(JobPhase.Submitting));
            var submit = new SubmitToFalInput(job.JobId, job.Request, imageUrls, job.WebhookUrl);
            var submitted = await context.CallActivityAsync<SubmitResult>(nameof(SubmitToFal), submit, retry);
            var fal = submitted.Accepted;
            FalOutcome outcome;
            if (fal is not null)
            {
                requestId = fal.RequestId;
                context.SetCustomStatus(new JobProgress(JobPhase.Queued, requestId, fal.QueuePosition, SubmittedAt: fal.SubmittedAt));
                outcome = await WaitForFalAsync(context, job, fal, cancelled, retry);
            }
            else
            {
                context.SetCustomStatus(new JobProgress(JobPhase.Queued));
                (fal, outcome) = await WaitForLostRequestAsync(context, job, submitted.AnswerLost!, cancelled, retry);
                requestId = fal?.RequestId;
            }

            if (!outcome.Succeeded || fal is null)
            {
                throw new JobFailedException(outcome.Error ?? "fal did not produce a video.");
            }

            context.SetCustomStatus(new JobProgress(JobPhase.Archiving, fal.RequestId, SubmittedAt: fal.SubmittedAt));
            var video = await context.CallActivityAsync<ArchivedVideo>(nameof(ArchiveVideo), new ArchiveRequest(
                job.JobId, fal.RequestId, outcome.VideoUrl!, outcome.FileSize, job.Request, job.Images.Count, job.CreatedAt, fal.SubmittedAt, outcome.CompletedAt), retry);

            stopListening.Cancel();
            context.SetCustomStatus(new JobProgress(JobPhase.Completed, fal.RequestId, SubmittedAt: fal.SubmittedAt, Video: video));
            return new VideoJobResult(fal.RequestId, video);
        }
        catch (Exception ex) when (ex is TaskFailedException or JobFailedException)
        {
            stopListening.Cancel();
            string reason = ex is TaskFailedException failed ? Reason(failed) : ex.Message;
            context.SetCustomStatus(new JobProgress(JobPhase.Failed, requestId, Error: reason));
            throw new JobFailedException(reason, ex);
        }
    }

    /// <summary>
    /// Waits for the webhook, racing it against a timer (and the caller's cancel); each time the timer wins, asks
    /// fal for status with a growing interval; past the deadline or on cancel, cancels at fal. One event waiter
    /// serves the whole wait, so a webhook that arrives while a status check runs is not missed.
    /// </summary>
    private static async Task<FalOutcome> WaitForFalAsync(TaskOrchestrationContext context, VideoJobInput job, FalJob fal, Task<string> cancelled, TaskOptions retry)
    {
        DateTime deadline = context.CurrentUtcDateTime + job.Timing.Deadline;
        using var stopWaiting = new CancellationTokenSource();
        var webhook = context.WaitForExternalEvent<FalWebhookEvent>(VideoJobOrchestrator.FalWebhookEvent, stopWaiting.Token);
        for (var interval = job.Timing.FirstStatusCheck; context.CurrentUtcDateTime < deadline; interval = Min(interval * 2, job.Timing.MaxStatusCheckInterval))
        {
            using var stopTimer = new CancellationTokenSource();
            var timer = context.CreateTimer(Min(context.CurrentUtcDateTime + interval, deadline), stopTimer.Token);
            var first = await Task.WhenAny(webhook, timer, cancelled);
            if (first == cancelled)
            {
                stopTimer.Cancel();
                stopWaiting.Cancel();
                var (answer, finished) = await StopAtFalAsync(context, fal, retry);
                return finished ?? FalOutcome.Failed($"The job was cancelled by its caller; fal {(answer is null ? "could not be reached to cancel it" : $"answered {answer}")}.");
            }

            if (first == webhook)
            {
                stopTimer.Cancel();
                return await OutcomeOfAsync(context, await webhook, fal, retry);
            }

            if (context.CurrentUtcDateTime >= deadline)
            {
                break;
            }

            var progress = await context.CallActivityAsync<FalProgress>(nameof(CheckFalStatus), fal, retry);
            if (progress.Completed)
            {
                stopWaiting.Cancel();
                return progress.Error is { } error ? FalOutcome.Failed(error) : await context.CallActivityAsync<FalOutcome>(nameof(FetchFalResult), fal, retry);
            }

            context.SetCustomStatus(new JobProgress(progress.Started ? JobPhase.Generating : JobPhase.Queued, fal.RequestId, progress.QueuePosition, SubmittedAt: fal.SubmittedAt));
        }

        stopWaiting.Cancel();
        var (_, done) = await StopAtFalAsync(context, fal, retry);
        return done ?? FalOutcome.Failed($"fal did not finish the video within {job.Timing.Deadline}; the request was cancelled at fal.");
    }

    /// <summary>
    /// fal's answer to the submit was lost, yet fal may have the request and be generating it. Only its webhook,
    /// sent to the URL this job alone was given, can say which request is ours: wait for it until the deadline.
    /// </summary>
    private static async Task<(FalJob? Fal, FalOutcome Outcome)> WaitForLostRequestAsync(
        TaskOrchestrationContext context, VideoJobInput job, string lost, Task<string> cancelled, TaskOptions retry)
    {
        using var stopWaiting = new CancellationTokenSource();
        using var stopTimer = new CancellationTokenSource();
        var webhook = context.WaitForExternalEvent<FalWebhookEvent>(VideoJobOrchestrator.FalWebhookEvent, stopWaiting.Token);
        var deadline = context.CreateTimer(context.CurrentUtcDateTime + job.Timing.Deadline, stopTimer.Token);
        var first = await Task.WhenAny(webhook, deadline, cancelled);
        if (first == webhook)
        {
            stopTimer.Cancel();

            // The webhook door recorded the request it named.
            var adopted = await context.CallActivityAsync<FalJob?>(nameof(FindFalRequest), job.JobId, retry);
            return (adopted, await OutcomeOfAsync(context, await webhook, adopted, retry));
        }

        stopTimer.Cancel();
        stopWaiting.Cancel();
        return (null, FalOutcome.Failed(first == cancelled
            ? $"{lost} The job was cancelled by its caller; without fal's request id it could not be cancelled at fal."
            : $"{lost} No webhook from fal named the request within {job.Timing.Deadline}, so there is no video to archive."));
    }

    private static async Task<FalOutcome> OutcomeOfAsync(TaskOrchestrationContext context, FalWebhookEvent delivered, FalJob? fal, TaskOptions retry) =>
        !delivered.Ok ? FalOutcome.Failed(delivered.Error ?? "fal reported the generation failed.")
        : delivered.VideoUrl is not null ? new FalOutcome(delivered.VideoUrl, delivered.ContentType, delivered.FileSize, null, context.CurrentUtcDateTime)
        : fal is not null ? await context.CallActivityAsync<FalOutcome>(nameof(FetchFalResult), fal, retry) // fal could not inline the payload
        : FalOutcome.Failed("fal reported success without the video, and the request is not on record to fetch it.");

    private static T Min<T>(T a, T b) where T : IComparable<T> => a.CompareTo(b) <= 0 ? a : b;

    /// <summary>
    /// Cancels the request at fal. If fal had already finished it (a webhook still on its way), the paid result is
    /// fetched instead of thrown away. Best effort: a failed cancel must not hide why the job is stopping.
    /// </summary>
    private static async Task<(FalCancelOutcome? Answer, FalOutcome? Finished)> StopAtFalAsync(TaskOrchestrationContext context, FalJob fal, TaskOptions retry)
    {
        FalCancelOutcome answer;
        try
        {
            answer = await context.CallActivityAsync<FalCancelOutcome>(nameof(CancelFalRequest), fal);
        }
        catch (TaskFailedException)
        {
            return (null, null);
        }

        if (answer != FalCancelOutcome.AlreadyCompleted)
        {
            return (answer, null);
        }

        var progress = await context.CallActivityAsync<FalProgress>(nameof(CheckFalStatus), fal, retry);
        return (answer, progress.Error is { } error ? FalOutcome.Failed(error) : await context.CallActivityAsync<FalOutcome>(nameof(FetchFalResult), fal, retry));
    }

    private static TaskOptions RetryOptions(JobTiming timing) => TaskOptions.FromRetryPolicy(
        new RetryPolicy(timing.MaxActivityAttempts, timing.FirstRetryInterval, backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(1))
        {
            // Never retry what no retry can fix.
            HandleFailure = failure => !IsJobFailure(failure),
        });

    // By name, not IsCausedBy<T>(): that resolves the failure's type by name across every loaded assembly and
    // throws when two share it (HttpRequestException does), which would break retries exactly when needed.
    private static bool IsJobFailure(TaskFailureDetails failure) => failure.ErrorType == typeof(JobFailedException).FullName;

    private static string Reason(TaskFailedException failed) => IsJobFailure(failed.FailureDetails)
        ? failed.FailureDetails.ErrorMessage
        : $"Step {failed.TaskName} kept failing after retries: {failed.FailureDetails.ErrorMessage}";
}
