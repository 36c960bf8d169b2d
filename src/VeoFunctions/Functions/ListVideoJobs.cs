using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using VeoFunctions.Http;
using VeoFunctions.Jobs;

namespace VeoFunctions.Functions;

/// <summary>
/// <c>GET /api/videos?top=50&amp;since=…&amp;continuationToken=…</c>: jobs, a page at a time, each page newest first.
/// </summary>
public sealed class ListVideoJobs
{
    public const int MaxPageSize = 200;

    [Function(nameof(ListVideoJobs))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "videos")] HttpRequest request,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(durable);
        int top = 50;
        if (request.Query.TryGetValue("top", out var topText) && (!int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out top) || top is < 1 or > MaxPageSize))
        {
            return Problems.BadRequest($"top must be a whole number from 1 to {MaxPageSize}.");
        }

        DateTimeOffset? since = null;
        if (request.Query.TryGetValue("since", out var sinceText))
        {
            if (!DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return Problems.BadRequest("since must be an ISO 8601 date and time.");
            }

            since = parsed;
        }

        var query = new OrchestrationQuery
        {
            PageSize = top,
            CreatedFrom = since,
            ContinuationToken = request.Query["continuationToken"].FirstOrDefault(),
            FetchInputsAndOutputs = true,
        };
        Microsoft.DurableTask.Page<OrchestrationMetadata>? page;
        try
        {
            page = await durable.GetAllInstancesAsync(query).AsPages(query.ContinuationToken, top).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (query.ContinuationToken is not null && ex is not OperationCanceledException)
        {
            // The token is opaque and the backend's to parse: one it cannot read is the caller's mistake.
            return Problems.BadRequest("continuationToken is not one this endpoint returned.");
        }

        if (page is not null)
        {
            var jobs = new List<JobStatus>();
            foreach (var instance in page.Values.Where(instance => instance.Name == nameof(VideoJobOrchestrator)).OrderByDescending(instance => instance.CreatedAt))
            {
                jobs.Add(await durable.StatusOfAsync(instance, cancellationToken).ConfigureAwait(false));
            }

            return new OkObjectResult(new { jobs, continuationToken = page.ContinuationToken });
        }

        return new OkObjectResult(new { jobs = Array.Empty<JobStatus>(), continuationToken = (string?)null });
    }
}
