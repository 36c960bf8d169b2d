namespace VeoFunctions.Money;

/// <summary>
/// What a job costs, as its status, its archive manifest and its manifest's result file show it: the estimate made
/// before anything reached fal and, once fal's billing shows it, what fal actually charged. <see cref="Billing"/> is
/// one of <see cref="JobBilling"/>'s words; <see cref="Note"/> says it in a sentence.
/// </summary>
public sealed record JobCost(
    decimal EstimatedUsd,
    decimal? ActualUsd,
    string Billing,
    int? Seconds = null,
    decimal? UsdPerSecond = null,
    string? PriceSource = null,
    string? Note = null,
    string Currency = "USD")
{
    /// <summary>True until fal's billed cost is known: the amounts are then the estimate.</summary>
    public bool IsEstimate => ActualUsd is null;

    /// <summary>A job's cost while fal's bill is still to come.</summary>
    public static JobCost Pending(CostEstimate estimate)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        return new(estimate.EstimatedUsd, null, JobBilling.Pending, estimate.Seconds, estimate.UsdPerSecond, estimate.PriceSource);
    }
}

/// <summary>Where a job's bill stands.</summary>
public static class JobBilling
{
    /// <summary>The job runs, or fal has not booked it yet: fal's billing is asked again.</summary>
    public const string Pending = "pending";

    /// <summary>fal's billing events give what was charged (<see cref="JobCost.ActualUsd"/>).</summary>
    public const string Billed = "billed";

    /// <summary>
    /// Nothing was billed: the job never reached fal, or fal does not bill how it ended (a 5xx, removed from its queue)
    /// and its billing showed no charge past <c>Money:BillingHorizon</c>.
    /// </summary>
    public const string NotBilled = "notBilled";

    /// <summary>
    /// fal may have billed the job, which has no video (a lost submit never found, an end fal says it does not bill that its
    /// billing cannot confirm): the estimate counts as spent, and it is logged as paid and lost.
    /// </summary>
    public const string PossiblyBilled = "possiblyBilled";

    /// <summary>fal's billing cannot be read (no <c>Fal:AdminKey</c>): the estimate is what counts.</summary>
    public const string EstimateOnly = "estimateOnly";

    /// <summary>fal had not booked the job when the app stopped asking (<c>Money:BillingHorizon</c>): the estimate counts.</summary>
    public const string NotBooked = "notBooked";
}
