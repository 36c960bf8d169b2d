using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VeoFunctions.Http;
using VeoFunctions.Jobs;
using VeoFunctions.Money;

namespace VeoFunctions.Functions;

/// <summary>
/// <c>POST /api/videos</c>: validate, estimate, then start a job. Bad input starts nothing and spends nothing, and
/// neither does a job the day's budget has no room for (402).
/// </summary>
public sealed class StartVideoJob(VideoRequestParser parser, JobScheduler scheduler, IOptions<JobOptions> options, JobSpending spending, ILogger<StartVideoJob>? logger = null)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    [Function(nameof(StartVideoJob))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "videos")] HttpRequest request,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.UnsupportedMediaType();
        }

        string? key = request.Headers[IdempotencyKeyHeader];
        if (key is not null && (key.Length is 0 or > 255 || key.Any(char.IsControl)))
        {
            return Problems.BadRequest("The Idempotency-Key header must be 1 to 255 printable characters.");
        }

        int limit = options.Value.MaxRequestBytes;
        var read = await RequestBody.ReadAsync(request, limit, cancellationToken).ConfigureAwait(false);
        if (read.Bytes is not { } body)
        {
            return Problems.BodyNotRead(read.Failure, limit);
        }

        var parsed = parser.Parse(body);
        if (parsed.Draft is null)
        {
            return Problems.Validation(parsed.Errors!);
        }

        string jobId = key is null ? JobScheduler.NewJobId() : JobScheduler.JobIdFor(key);
        using var scope = Telemetry.JobLogScope.Begin(logger ?? NullLogger<StartVideoJob>.Instance, jobId);
        var quote = await spending.QuoteAsync(parsed.Draft.Request, cancellationToken).ConfigureAwait(false);
        ScheduleOutcome outcome;
        try
        {
            outcome = await scheduler.ScheduleAsync(durable, jobId, parsed.Draft, JobScheduler.Fingerprint(body), callerChosenId: key is not null, cancellationToken, quote: quote).ConfigureAwait(false);
        }
        catch (BudgetBusyException ex)
        {
            return Problems.Unavailable("budget-busy", "The daily budget is busy.", ex.Message, BudgetBusyException.RetryAfter);
        }

        if (outcome == ScheduleOutcome.OverBudget)
        {
            var budget = await spending.BudgetAsync(quote, cancellationToken).ConfigureAwait(false);
            return Problems.OverBudget(budget, quote.Estimate.EstimatedUsd);
        }

        // The Idempotency-Key answers of draft-ietf-httpapi-idempotency-key-header: another body 422, first copy still in progress 409.
        if (outcome == ScheduleOutcome.Conflict)
        {
            return Problems.IdempotencyKeyReused();
        }

        if (outcome == ScheduleOutcome.Starting)
        {
            return Problems.IdempotencyKeyInProgress(TimeSpan.FromSeconds(1));
        }

        string statusUrl = $"{request.Scheme}://{request.Host}/api/videos/{jobId}";
        return new AcceptedResult(statusUrl, new { jobId, statusUrl, replayed = outcome == ScheduleOutcome.AlreadyExists, cost = JobCost.Pending(quote.Estimate) });
    }
}
