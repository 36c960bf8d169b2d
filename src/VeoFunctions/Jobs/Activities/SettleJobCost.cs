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
/// <remarks>
/// "Not billed" is concluded only from fal's own word (a submit it refused, or never took) or from its billing's silence
/// past <see cref="MoneyOptions.BillingHorizon"/>. A job fal may have billed without a video to show for it — a lost
/// submit never found, or an end whose error fal says it does not bill (a 5xx, <c>client_cancelled</c>), which its
/// billing cannot confirm — counts as spent at its estimate, shows <see cref="JobBilling.PossiblyBilled"/> and is logged
/// as paid and lost, the alert's marker.
/// </remarks>
public sealed partial class SettleJobCost(FalPlatformClient platform, DailyBudget budget, VideoArchive archive, SubmissionLedger ledger, IOptions<MoneyOptions> options, ILogger<SettleJobCost> logger, Telemetry.VeoMetrics metrics)
    : TaskActivity<CostSettlement, JobCost>
{
    public override async Task<JobCost> RunAsync(TaskActivityContext context, CostSettlement input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var pending = JobCost.Pending(input.Quote.Estimate);
        decimal estimate = pending.EstimatedUsd;
        if (input.FalRequestId is not { } requestId)
        {
            if (await ledger.MayHaveReachedFalAsync(input.JobId, CancellationToken.None).ConfigureAwait(false))
            {
                // A submit fal's answer never came back for, and the request was never found: fal may have run and billed it.
                return await PossiblyBilledAsync(input, null, pending,
                    "fal's answer to the submit was lost and the request was never found, so fal may have run and billed it: the estimate counts as spent.").ConfigureAwait(false);
            }

            await SettleBudgetAsync(input, null, billed: false).ConfigureAwait(false);
            return pending with { Billing = JobBilling.NotBilled, Note = "Nothing was billed: the job ended before fal accepted it." };
        }

        if (!platform.HasAdminKey)
        {
            return input.Hint == FalBillingHint.NotBilled
                ? await PossiblyBilledAsync(input, requestId, pending,
                    "fal's error says it does not bill how this request ended, but without fal's billing (Fal:AdminKey) that cannot be confirmed: the estimate counts as spent.").ConfigureAwait(false)
                : await SettleAsync(input, pending with { Billing = JobBilling.EstimateOnly, Note = "fal's billing is not configured (Fal:AdminKey): the cost is the estimate." }).ConfigureAwait(false);
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
            string note = $"fal's billing could not be read ({ex.Message}): the cost is the estimate.";
            return input.Hint == FalBillingHint.NotBilled
                ? await PossiblyBilledAsync(input, requestId, pending, note).ConfigureAwait(false)
                : await SettleAsync(input, pending with { Billing = JobBilling.EstimateOnly, Note = note }).ConfigureAwait(false);
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

        if (!input.Final)
        {
            // fal's usage data lags: even an end fal says it does not bill is only proven unbilled by its billing's silence past the horizon.
            return pending with { Note = "fal has not booked this job yet; its billing is asked again." };
        }

        if (input.Hint == FalBillingHint.NotBilled)
        {
            return await SettleAsync(input, pending with { Billing = JobBilling.NotBilled, Note = "Nothing was billed: fal does not bill how this request ended, and its billing showed no charge long after." }).ConfigureAwait(false);
        }

        Log.NotBooked(logger, input.JobId, requestId, estimate);
        return await SettleAsync(input, pending with
        {
            Billing = JobBilling.NotBooked,
            Note = string.Create(CultureInfo.InvariantCulture, $"fal had not booked this job when its billing was last asked: the estimate ({estimate:0.00} USD) counts."),
        }).ConfigureAwait(false);
    }

    private async Task<JobCost> PossiblyBilledAsync(CostSettlement input, string? requestId, JobCost pending, string note)
    {
        Log.PossiblyBilled(logger, input.JobId, requestId, pending.EstimatedUsd);
        return await SettleAsync(input, pending with { Billing = JobBilling.PossiblyBilled, Note = note }).ConfigureAwait(false);
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

        [LoggerMessage(7204, LogLevel.Error, "Job {JobId} may have been billed by fal (request {RequestId}) and has no video, paid and lost: its estimate of {EstimatedUsd} USD counts as spent")]
        public static partial void PossiblyBilled(ILogger logger, string jobId, string? requestId, decimal estimatedUsd);

        [LoggerMessage(7203, LogLevel.Warning, "Job {JobId}: fal's billing for request {RequestId} could not be read: {Problem}")]
        public static partial void BillingUnreadable(ILogger logger, string jobId, string requestId, string problem);
    }
}
