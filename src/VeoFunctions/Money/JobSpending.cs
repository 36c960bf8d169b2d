using Microsoft.Extensions.Options;
using VeoFunctions.Jobs;

namespace VeoFunctions.Money;

/// <summary>
/// What the doors ask before a job may start: what it will cost (<see cref="PriceList"/>) and whether today's budget
/// has room for it (<see cref="DailyBudget"/>); and, when a start fails after reserving, giving the reservation back.
/// </summary>
public sealed class JobSpending(PriceList prices, DailyBudget budget, IOptions<MoneyOptions> options)
{
    /// <summary>The job's timings with how long and how often its bill is asked for after its end.</summary>
    public JobTiming WithBillingChecks(JobTiming timing)
    {
        ArgumentNullException.ThrowIfNull(timing);
        return timing with { BillingFirstRecheck = options.Value.BillingFirstRecheck, BillingHorizon = options.Value.BillingHorizon };
    }

    /// <summary>The job's estimate and the budget day it counts against.</summary>
    public async Task<JobQuote> QuoteAsync(VideoRequest request, CancellationToken cancellationToken) =>
        (await QuoteAllAsync([request], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Quotes a batch with one set of rates and one budget day.</summary>
    public async Task<IReadOnlyList<JobQuote>> QuoteAllAsync(IReadOnlyList<VideoRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var card = await prices.GetAsync(cancellationToken).ConfigureAwait(false);
        DateOnly? day = budget.Enabled ? budget.Today : null;
        return requests.Select(request => new JobQuote(card.Estimate(request), day)).ToList();
    }

    /// <summary>
    /// Reserves the jobs' estimates together on their quotes' day, or refuses them all. Null when the quotes name no
    /// budget day (the budget was off when they were made): nothing is reserved and nothing refused.
    /// </summary>
    /// <param name="holder">The start reserving (see <see cref="DailyBudget"/>): only it may give the reservation back.</param>
    public async Task<BudgetReservation?> ReserveAsync(IReadOnlyList<(string JobId, JobQuote Quote)> jobs, CancellationToken cancellationToken, string? holder = null)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count == 0 || jobs[0].Quote.BudgetDay is not { } day || !budget.Enabled)
        {
            return null;
        }

        return await budget.ReserveAsync(day, jobs.Select(job => (job.JobId, job.Quote.Estimate.EstimatedUsd)).ToList(), cancellationToken, holder).ConfigureAwait(false);
    }

    /// <summary>Gives back <paramref name="holder"/>'s reservation of a job that certainly did not start.</summary>
    public Task ReleaseAsync(string jobId, JobQuote quote, string holder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(quote);
        return quote.BudgetDay is { } day && budget.Enabled
            ? budget.ReleaseAsync(day, jobId, holder, cancellationToken)
            : Task.CompletedTask;
    }

    /// <summary>The budget of the quote's day (today when it names none).</summary>
    public Task<BudgetSnapshot> BudgetAsync(JobQuote? quote, CancellationToken cancellationToken) =>
        budget.ReadAsync(quote?.BudgetDay ?? budget.Today, cancellationToken);
}
