using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using VeoFunctions.Http;
using VeoFunctions.Jobs;

namespace VeoFunctions.Functions;

/// <summary>
/// <c>POST /api/videos/{jobId}/cancel</c>: asks the job to stop. Before submit nothing is spent; while fal works
/// the request is cancelled at fal too. Once fal has delivered (the job is archiving) a cancel is 409: the video is paid
/// for and is archived regardless.
/// </summary>
public sealed class CancelVideoJob
{
    [Function(nameof(CancelVideoJob))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "videos/{jobId}/cancel")] HttpRequest request,
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

        if (instance.IsCompleted || instance.ReadCustomStatusAs<JobProgress>()?.Phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled)
        {
            // Ended (its orchestration may still settle the job's cost with fal's billing).
            string ended = instance.ReadCustomStatusAs<JobProgress>()?.Phase.ToString() ?? instance.RuntimeStatus.ToString();
            return Problems.Conflict($"The job has already ended ({ended.ToLowerInvariant()}).");
        }

        if (instance.ReadCustomStatusAs<JobProgress>()?.Phase is JobPhase.Archiving)
        {
            // fal has delivered: the video is paid for and nothing a cancel does would save money (the job would archive it anyway).
            return Problems.Conflict("The job's video is already made and paid for, and is being archived: it cannot be cancelled.");
        }

        try
        {
            await durable.RaiseEventAsync(jobId, VideoJobOrchestrator.CancelEvent, "caller", cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
        {
            // It ended between the look and the raise (the Functions host checks before raising, and throws).
            return Problems.Conflict("The job has already ended.");
        }

        return new AcceptedResult($"{request.Scheme}://{request.Host}/api/videos/{jobId}", new { jobId, cancelRequested = true });
    }
}
