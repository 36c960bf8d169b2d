using System.Globalization;

namespace VeoFunctions.Money;

/// <summary>
/// A UTC day's budget as <c>GET /api/budget</c> shows it: the limit (null when the budget is off), what running jobs
/// have reserved (their estimates), what ended jobs spent (fal's billed cost, or the estimate where fal's bill is not
/// known), and what is left.
/// </summary>
public sealed record BudgetSnapshot(DateOnly Day, decimal? BudgetUsd, decimal ReservedUsd, decimal SpentUsd, decimal? RemainingUsd, int Jobs, DateTimeOffset ResetsAt, DateTimeOffset AsOf)
{
    public bool Enabled => BudgetUsd is not null;

    /// <summary>Reserved and spent together: what the limit is measured against.</summary>
    public decimal CommittedUsd => ReservedUsd + SpentUsd;

    /// <summary>Whole seconds until the budget renews (a refusal's Retry-After).</summary>
    public long SecondsToReset => (long)Math.Ceiling(Math.Max(0, (ResetsAt - AsOf).TotalSeconds));

    /// <summary>Why a start that needed <paramref name="neededUsd"/> was refused, in one sentence for a problem detail or an error file.</summary>
    public string Refusal(decimal neededUsd) => string.Create(CultureInfo.InvariantCulture,
        $"The daily budget of {BudgetUsd:0.00} USD for {Day:yyyy-MM-dd} (UTC) has {RemainingUsd:0.00} USD left, and this needs an estimated {neededUsd:0.00} USD: nothing was started or sent to fal. The budget renews at {ResetsAt:yyyy-MM-dd'T'HH:mm'Z'}.");
}

/// <summary>How a reservation went: made (or already in place for these jobs), or refused because it would not fit.</summary>
/// <param name="Created">The jobs this call reserved for (jobs already reserved are not counted twice).</param>
/// <param name="NeededUsd">What the refused reservation would have taken.</param>
public sealed record BudgetReservation(bool Reserved, BudgetSnapshot Budget, IReadOnlyList<string> Created, decimal NeededUsd);
