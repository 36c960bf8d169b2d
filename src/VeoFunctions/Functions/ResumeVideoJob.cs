using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using VeoFunctions.Http;
using VeoFunctions.Jobs;

namespace VeoFunctions.Functions;

/// <summary>
/// <c>POST /api/videos/{jobId}/resume</c>: tries a failing archive again now, e.g. once storage or fal's CDN is
/// back. An archive retries by itself for hours (Jobs:ArchiveHorizon) and then waits for this.
/// </summary>
public sealed class ResumeVideoJob
{
    [Function(nameof(ResumeVideoJob))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "videos/{jobId}/resume")] HttpRequest request,
        [DurableClient] DurableTaskClient durable,
        string jobId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var job = await durable.FindJobAsync(jobId, withInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        if (job is null)
        {
            return Problems.NotFound("No job has that id.");
        }

        // The job archives its video itself, or, once it has ended without one, its salvage run does (even while the
        // ended job still reports or settles).
        var archiving = JobIds.EndedWithoutVideo(job) ? await durable.FindSalvageAsync(jobId, cancellationToken).ConfigureAwait(false) : job;
        if (archiving is not { IsCompleted: false } || archiving.ReadCustomStatusAs<JobProgress>()?.Phase != JobPhase.Archiving)
        {
            return Problems.Conflict("The job is not archiving; there is nothing to resume.");
        }

        try
        {
            await durable.RaiseEventAsync(archiving.InstanceId, VideoJobOrchestrator.ResumeArchiveEvent, "caller", cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
        {
            return Problems.Conflict("The archive finished meanwhile.");
        }

        return new AcceptedResult($"{request.Scheme}://{request.Host}/api/videos/{jobId}", new { jobId, resumeRequested = true });
    }
}
