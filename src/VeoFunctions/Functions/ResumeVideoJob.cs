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
/// back. An archive retries by itself for hours (Jobs:ArchiveHorizon) and then waits for this. A job whose archive
/// ended it (its video counted as gone, or its URL was refused) is resumed by starting its salvage run.
/// </summary>
public sealed class ResumeVideoJob(SalvageRuns salvage)
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

        string statusUrl = $"{request.Scheme}://{request.Host}/api/videos/{jobId}";

        // The job archives its video itself, or, once it has ended without one, its latest salvage run does (even while
        // the ended job still reports or settles). A job, or run, that its archive ended is resumed by a new run.
        bool ended = JobIds.EndedWithoutVideo(job);
        var archiving = ended ? await durable.FindSalvageAsync(jobId, cancellationToken).ConfigureAwait(false) : job;
        if (ended && archiving is not { IsCompleted: false } && await salvage.ResumeArchiveAsync(durable, job, archiving, cancellationToken).ConfigureAwait(false))
        {
            return new AcceptedResult(statusUrl, new { jobId, resumeRequested = true });
        }

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

        return new AcceptedResult(statusUrl, new { jobId, resumeRequested = true });
    }
}
