using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using VeoFunctions.Http;
using VeoFunctions.Jobs;

namespace VeoFunctions.Functions;

/// <summary><c>GET /api/videos/{jobId}</c>: where the job is, and the video once it is archived.</summary>
public sealed class GetVideoJob
{
    [Function(nameof(GetVideoJob))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "videos/{jobId}")] HttpRequest request,
        [DurableClient] DurableTaskClient durable,
        string jobId,
        CancellationToken cancellationToken)
    {
        var instance = await durable.FindJobAsync(jobId, withInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        return instance is null
            ? Problems.NotFound("No job has that id.")
            : new OkObjectResult(await durable.StatusOfAsync(instance, cancellationToken).ConfigureAwait(false));
    }
}
