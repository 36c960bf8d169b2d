using System.Globalization;
using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using VeoFunctions.Http;
using VeoFunctions.Jobs;

namespace VeoFunctions.Functions;

/// <summary>
/// <c>GET /api/videos?top=50&amp;phase=…&amp;since=…&amp;continuationToken=…</c>: jobs newest first, across pages, a page
/// at a time (<see cref="JobListing"/>).
/// </summary>
public sealed class ListVideoJobs(JobListing listing)
{
    public const int MaxPageSize = 200;

    private static readonly string[] Phases = [.. Enum.GetValues<JobPhase>().Select(phase => phase.ToString().ToLowerInvariant())];

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

        string? phase = request.Query["phase"].FirstOrDefault();
        if (phase is not null && !Phases.Contains(phase, StringComparer.Ordinal))
        {
            return Problems.BadRequest($"phase must be one of {string.Join(", ", Phases)}.");
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

        string? token = request.Query["continuationToken"].FirstOrDefault();
        try
        {
            var page = await listing.ReadAsync(durable, top, phase, since, token, cancellationToken).ConfigureAwait(false);
            return new NoStoreResult(new { jobs = page.Jobs, continuationToken = page.ContinuationToken });
        }
        catch (Exception ex) when (token is not null && ex is FormatException or RequestFailedException { Status: StatusCodes.Status400BadRequest })
        {
            // The token is ours to read (FormatException) and then the blob listing's (a 400 from storage).
            return Problems.BadRequest("continuationToken is not one this endpoint returned.");
        }
    }
}
