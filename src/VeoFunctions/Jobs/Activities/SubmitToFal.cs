using Fal;
using Fal.Queue;
using Fal.Veo31;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using VeoFunctions.Money;
using VeoFunctions.Storage;

namespace VeoFunctions.Jobs.Activities;

/// <summary>
/// One submit attempt. <paramref name="StartTimeout"/> is sent to fal as the start deadline: a request fal has not
/// started by then is dropped unbilled, which bounds how long a lost request can stay invisible in fal's list.
/// <paramref name="Priority"/> is fal's queue priority (<c>low</c> for batches that can wait). (These came with version
/// 2.0; the first release sends none: attempt 1, no deadline, normal priority.)
/// </summary>
public sealed record SubmitToFalInput(
    string JobId, VideoRequest Request, IReadOnlyList<string> ImageUrls, Uri WebhookUrl, int Attempt = 1, TimeSpan? StartTimeout = null, string? Priority = null);

/// <summary>
/// The paid step. Each attempt runs at most once whatever happens to the worker: the ledger returns an earlier
/// answer, refuses to guess after an unanswered attempt (the request is looked up instead), and is released only
/// when fal certainly took nothing.
/// </summary>
public sealed partial class SubmitToFal(FalQueueClient fal, SubmissionLedger ledger, TimeProvider time, ILogger<SubmitToFal> logger, Telemetry.VeoMetrics metrics)
    : TaskActivity<SubmitToFalInput, SubmitResult>
{
    public override async Task<SubmitResult> RunAsync(TaskActivityContext context, SubmitToFalInput input)
    {
        if (await ledger.FindAsync(input.JobId, CancellationToken.None).ConfigureAwait(false) is { } earlier)
        {
            Log.AlreadySubmitted(logger, input.JobId, earlier.RequestId);
            return new SubmitResult(earlier, null);
        }

        if (!await ledger.TryBeginAsync(input.JobId, WebhookToken(input.WebhookUrl), input.Attempt, CancellationToken.None).ConfigureAwait(false))
        {
            return new SubmitResult(null, "An earlier attempt to submit this job was interrupted before fal's answer was recorded; it was not resubmitted, to avoid billing twice.");
        }

        FalSubmission submission;
        try
        {
            submission = await fal.SubmitAsync(ReferenceToVideoInput.EndpointId, ToFalInput(input), FalJsonContext.Default.ReferenceToVideoInput,
                new FalSubmitOptions { WebhookUrl = input.WebhookUrl, StartTimeout = input.StartTimeout, Priority = input.Priority }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (FalSubmissionUncertainException ex)
        {
            metrics.UncertainSubmit();
            Log.Uncertain(logger, input.JobId, input.Attempt, ex.Message);
            return new SubmitResult(null, ex.Message);
        }
        catch (FalApiException ex) when (!ex.IsTransient)
        {
            // fal refused it: nothing was queued, nothing billed.
            await ledger.AbandonAsync(input.JobId, input.Attempt, CancellationToken.None).ConfigureAwait(false);
            throw new JobFailedException($"fal rejected the request: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is FalApiException or HttpRequestException)
        {
            // Only errors fal cannot have accepted get here (the client turns the others into uncertainty):
            // release the claim so the orchestrator's retry may submit.
            await ledger.AbandonAsync(input.JobId, input.Attempt, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        var job = new FalJob(submission.Request.RequestId, submission.Request.StatusUrl, submission.Request.ResponseUrl, submission.Request.CancelUrl,
            submission.QueuePosition, time.GetUtcNow());
        await ledger.RecordAsync(input.JobId, job, CancellationToken.None).ConfigureAwait(false);
        return new SubmitResult(job, null);
    }

    internal static string WebhookToken(Uri webhookUrl) => System.Web.HttpUtility.ParseQueryString(webhookUrl.Query)["token"] ?? "";

    internal static ReferenceToVideoInput ToFalInput(SubmitToFalInput input) => new()
    {
        Prompt = input.Request.Prompt,
        ImageUrls = input.ImageUrls,
        AspectRatio = input.Request.AspectRatio,
        Duration = input.Request.Duration,
        Resolution = input.Request.Resolution,
        GenerateAudio = input.Request.GenerateAudio,
        Seed = input.Request.Seed,
        NegativePrompt = input.Request.NegativePrompt,
        AutoFix = input.Request.AutoFix,
        SafetyTolerance = input.Request.SafetyTolerance,
    };

    private static partial class Log
    {
        [LoggerMessage(2102, LogLevel.Warning, "Job {JobId}: uncertain submit (attempt {Attempt}): fal may have queued it, so it is looked up, not sent again: {Problem}")]
        public static partial void Uncertain(ILogger logger, string jobId, int attempt, string problem);

        [LoggerMessage(2101, LogLevel.Warning, "Job {JobId} was already submitted as fal request {RequestId}; returning the recorded answer")]
        public static partial void AlreadySubmitted(ILogger logger, string jobId, string requestId);
    }
}
