using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using VeoFunctions.Http;
using VeoFunctions.Jobs;
using VeoFunctions.Storage;

namespace VeoFunctions.Functions;

/// <summary><c>GET /api/videos/{jobId}</c>: where the job is, and the video (with a download link) once it is archived.</summary>
public sealed class GetVideoJob(VideoLinks links)
{
    [Function(nameof(GetVideoJob))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "videos/{jobId}")] HttpRequest request,
        [DurableClient] DurableTaskClient durable,
        string jobId,
        CancellationToken cancellationToken)
    {
        var instance = await durable.FindJobAsync(jobId, withInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        if (instance is null)
        {
            return Problems.NotFound("No job has that id.");
        }

        var status = await durable.StatusOfAsync(instance, cancellationToken).ConfigureAwait(false);
        return new NoStoreResult(await links.WithLinkAsync(status, cancellationToken).ConfigureAwait(false));
    }
}
