using System.Globalization;
using System.Text.Json.Serialization;
using Fal;
using Fal.Platform;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Archive;
using VeoFunctions.Money;

namespace VeoFunctions.Jobs.Activities;

/// <summary>What the job's end says of fal's bill, before fal's billing is asked.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FalBillingHint>))]
public enum FalBillingHint
{
    /// <summary>fal ended the request without a video in a way whose billing fal does not state (a model error, a 4xx, no verdict).</summary>
    Unknown,

    /// <summary>fal delivered the video: it is billed.</summary>
    Billed,

    /// <summary>fal ended it in a way it does not bill (a 5xx, a request it dropped or removed from its queue).</summary>
    NotBilled,
}

/// <summary>
/// One settling of a job's cost. <paramref name="FalRequestId"/> is null when the job never reached fal;
/// <paramref name="ArchiveManifest"/> the video's <c>{jobId}.json</c>, when there is one; <paramref name="Final"/> says
/// fal's billing is asked for the last time.
/// </summary>
public sealed record CostSettlement(string JobId, JobQuote Quote, string? FalRequestId, FalBillingHint Hint, string? ArchiveManifest, bool Final);

/// <summary>
/// Settles a job's cost against fal's billing events for its request (<c>Fal:AdminKey</c>): the billed cost replaces
/// the estimate on the day's budget and in the archive manifest, and a bill that differs from the estimate by more
/// than <see cref="MoneyOptions.CostDivergenceMargin"/> is logged as a warning. Nothing billed releases the
/// reservation. Without the admin key the estimate is what counts. A bill fal has not booked yet comes back
/// <see cref="JobBilling.Pending"/>, for the orchestrator to ask again later.
/// </summary>
public sealed partial class SettleJobCost(FalPlatformClient platform, DailyBudget budget, VideoArchive archive, IOptions<MoneyOptions> options, ILogger<SettleJobCost> logger, Telemetry.VeoMetrics metrics)
    : TaskActivity<CostSettlement, JobCost>
{
    public override async Task<JobCost> RunAsync(TaskActivityContext context, CostSettlement input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var pending = JobCost.Pending(input.Quote.Estimate);
        decimal estimate = pending.EstimatedUsd;
        if (input.FalRequestId is not { } requestId)
        {
            await SettleBudgetAsync(input, null, billed: false).ConfigureAwait(false);
            return pending with { Billing = JobBilling.NotBilled, Note = "Nothing was billed: the job ended before fal accepted it." };
        }

        if (!platform.HasAdminKey)
        {
            return await SettleAsync(input, input.Hint == FalBillingHint.NotBilled
                ? pending with { Billing = JobBilling.NotBilled, Note = "fal does not bill how this request ended; fal's billing is not configured (Fal:AdminKey) to confirm it." }
                : pending with { Billing = JobBilling.EstimateOnly, Note = "fal's billing is not configured (Fal:AdminKey): the cost is the estimate." }).ConfigureAwait(false);
        }

        IReadOnlyList<FalBillingEvent> events;
        try
        {
            events = await platform.GetBillingEventsAsync(requestId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (FalApiException ex) when (!ex.IsTransient)
        {
            // The key lacks the scope, say: no retry helps. Counted as the hint says, and shown.
            Log.BillingUnreadable(logger, input.JobId, requestId, ex.Message);
            return await SettleAsync(input, pending with
            {
                Billing = input.Hint == FalBillingHint.NotBilled ? JobBilling.NotBilled : JobBilling.EstimateOnly,
                Note = $"fal's billing could not be read ({ex.Message}): the cost is the estimate.",
            }).ConfigureAwait(false);
        }

        var charges = events.Where(e => e.RequestId == requestId).ToList();
        if (charges.Count > 0)
        {
            decimal actual = charges.Sum(e => e.CostTotal);
            if (Math.Abs(actual - estimate) > estimate * (decimal)options.Value.CostDivergenceMargin)
            {
                Log.Diverged(logger, input.JobId, requestId, actual, estimate, estimate == 0 ? 0 : (double)((actual - estimate) / estimate));
            }

            var billed = await SettleAsync(input, pending with { ActualUsd = actual, Billing = JobBilling.Billed, Note = null }).ConfigureAwait(false);
            metrics.Billed(actual);
            return billed;
        }

        if (input.Hint == FalBillingHint.NotBilled)
        {
            return await SettleAsync(input, pending with { Billing = JobBilling.NotBilled, Note = "Nothing was billed: fal does not bill how this request ended, and its billing shows no charge." }).ConfigureAwait(false);
        }

        if (!input.Final)
        {
            return pending with { Note = "fal has not booked this job yet; its billing is asked again." };
        }

        Log.NotBooked(logger, input.JobId, requestId, estimate);
        return await SettleAsync(input, pending with
        {
            Billing = JobBilling.NotBooked,
            Note = string.Create(CultureInfo.InvariantCulture, $"fal had not booked this job when its billing was last asked: the estimate ({estimate:0.00} USD) counts."),
        }).ConfigureAwait(false);
    }

    private async Task<JobCost> SettleAsync(CostSettlement input, JobCost cost)
    {
        await SettleBudgetAsync(input, cost.ActualUsd, billed: cost.Billing != JobBilling.NotBilled).ConfigureAwait(false);
        if (input.ArchiveManifest is { } manifest)
        {
            await archive.RecordCostAsync(manifest, cost, CancellationToken.None).ConfigureAwait(false);
        }

        return cost;
    }

    private Task SettleBudgetAsync(CostSettlement input, decimal? actual, bool billed) =>
        input.Quote.BudgetDay is { } day
            ? budget.SettleAsync(day, input.JobId, input.Quote.Estimate.EstimatedUsd, actual, billed, CancellationToken.None)
            : Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(7201, LogLevel.Warning, "Job {JobId}: fal billed request {RequestId} {ActualUsd} USD against an estimate of {EstimatedUsd} USD ({Divergence:P0} off)")]
        public static partial void Diverged(ILogger logger, string jobId, string requestId, decimal actualUsd, decimal estimatedUsd, double divergence);

        [LoggerMessage(7202, LogLevel.Warning, "Job {JobId}: fal had not booked request {RequestId} when its billing was last asked; its estimate of {EstimatedUsd} USD counts")]
        public static partial void NotBooked(ILogger logger, string jobId, string requestId, decimal estimatedUsd);

        [LoggerMessage(7203, LogLevel.Warning, "Job {JobId}: fal's billing for request {RequestId} could not be read: {Problem}")]
        public static partial void BillingUnreadable(ILogger logger, string jobId, string requestId, string problem);
    }
}
