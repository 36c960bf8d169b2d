using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using VeoFunctions.Http;
using VeoFunctions.Jobs;
using VeoFunctions.Storage;

namespace VeoFunctions.Functions;

/// <summary>
/// <c>GET /api/videos/{jobId}/video</c>: a <c>302</c> to a fresh download link for the job's MP4, so a link that
/// expired is never a dead end. The function key stays here; the storage host gets only the link.
/// </summary>
public sealed class DownloadVideo(VideoLinks links)
{
    [Function(nameof(DownloadVideo))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "videos/{jobId}/video")] HttpRequest request,
        [DurableClient] DurableTaskClient durable,
        string jobId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var instance = await durable.FindJobAsync(jobId, withInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        if (instance is null)
        {
            return Problems.NotFound("No job has that id.");
        }

        var status = await durable.StatusOfAsync(instance, cancellationToken).ConfigureAwait(false);
        if (status.Video is not { } video)
        {
            return Problems.Conflict(status.Phase is "completed" or "failed" or "cancelled"
                ? $"The job ended {status.Phase} without a video."
                : $"The job has no video yet: it is {status.Phase}.");
        }

        if (await links.LinkAsync(video, cancellationToken).ConfigureAwait(false) is not { DownloadUrl: { } url })
        {
            return Problems.Unavailable(ProblemKind.LinkUnavailable, "No download link can be made now.", "Storage did not grant a download link; try again shortly.", TimeSpan.FromSeconds(5));
        }

        return new LinkRedirect(url);
    }
}
