using Fal;
using Fal.Queue;
using Fal.Veo31;
using Microsoft.DurableTask;

namespace VeoFunctions.Jobs.Activities;

/// <summary>
/// Fetches a finished request's output. A failed model answers its error here; that is fal's verdict on the
/// job, so it comes back as a failed outcome rather than an exception to retry. (Infrastructure failures show
/// in the status, which the caller has already read.)
/// </summary>
public sealed class FetchFalResult(FalQueueClient fal, TimeProvider time) : TaskActivity<FalJob, FalOutcome>
{
    public override async Task<FalOutcome> RunAsync(TaskActivityContext context, FalJob input)
    {
        try
        {
            var output = await fal.GetResultAsync(input.ToFalRequest(), FalJsonContext.Default.ReferenceToVideoOutput, CancellationToken.None).ConfigureAwait(false);
            return output.Video is { Url.Length: > 0 } video
                ? new FalOutcome(video.Url, video.ContentType, video.FileSize, null, time.GetUtcNow())
                : FalOutcome.Failed("fal completed the request but its result names no video.");
        }
        catch (FalApiException ex) when (ex.IsValidationError || ex.RetryableHint == false)
        {
            // The model's verdict. Anything else (a 500, a 404 from a replica behind) is retried: fal said it is done.
            return FalOutcome.Failed($"fal reported the generation failed: {ex.Message}");
        }
    }
}
