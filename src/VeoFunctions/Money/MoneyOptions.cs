using System.ComponentModel.DataAnnotations;

namespace VeoFunctions.Money;

/// <summary>
/// What a job costs and how much may be spent: the price table (fallback and override of fal's pricing API), the
/// optional daily budget, how fal's billed cost is checked against the estimate, and whether fal's copies of a job
/// are deleted once its video is archived.
/// </summary>
public sealed class MoneyOptions
{
    public const string SectionName = "Money";

    /// <summary>
    /// Where the per-second rates come from. <see cref="Money.PriceSource.Fal"/> (the default): fal's pricing API scales
    /// <see cref="Rates"/> (see <see cref="PriceList"/>), the table alone while fal cannot be read;
    /// <see cref="Money.PriceSource.Table"/>: the table alone, always (an override for negotiated prices fal's API does
    /// not show).
    /// </summary>
    public PriceSource PriceSource { get; set; } = PriceSource.Fal;

    /// <summary>
    /// USD per second of video by resolution (<c>720p</c>, <c>1080p</c>, <c>4k</c>), silent and with audio: fal's
    /// price page for Veo 3.1 (docs/fal.md). Settings <c>Money__Rates__4k__WithAudio</c> and so on.
    /// </summary>
    public Dictionary<string, AudioRates> Rates { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["720p"] = new() { Silent = 0.20m, WithAudio = 0.40m },
        ["1080p"] = new() { Silent = 0.20m, WithAudio = 0.40m },
        ["4k"] = new() { Silent = 0.40m, WithAudio = 0.60m },
    };

    /// <summary>How long fal's price is trusted before it is asked again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan PricingCacheDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a door waits for fal's pricing API before it estimates from the table.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan PricingTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The most that may be reserved and spent per UTC day, in USD; unset (the default) turns the budget off. A job
    /// whose estimate does not fit is refused before anything reaches fal.
    /// </summary>
    [Range(typeof(decimal), "0", "1000000000")]
    public decimal? DailyBudgetUsd { get; set; }

    /// <summary>
    /// How long a change to the day's budget (a start's reservation, a release, a settle) may wait for its turn to be
    /// written before it is given up as busy: a start is then answered 503 <c>budget-busy</c> with Retry-After, nothing
    /// reserved. Bounds how long a burst of starts, or a slow table, holds a request open.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:02:00")]
    public TimeSpan BudgetBusyAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The share of the daily budget at which a warning is logged (and the "budget nearly spent" alert fires).</summary>
    [Range(0.0, 1.0)]
    public double BudgetWarningFraction { get; set; } = 0.8;

    /// <summary>How far fal's billed cost may differ from the estimate (a fraction of it) before a warning is logged.</summary>
    [Range(0.0, 10.0)]
    public double CostDivergenceMargin { get; set; } = 0.10;

    /// <summary>
    /// When fal's billing is first asked again after a job ended without its cost booked; the wait doubles up to an
    /// hour. fal's usage data lags.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan BillingFirstRecheck { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long after a job's end fal's billing is asked for its cost before the estimate is kept for good.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan BillingHorizon { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Delete fal's stored payloads and output files of a job once its video is archived (needs
    /// <c>Fal:AdminKey</c>). On by default: the archive is the copy that matters, and fal would keep the rest for 30 days.
    /// </summary>
    public bool DeleteFalPayloads { get; set; } = true;
}

/// <summary>One resolution's rates, USD per second.</summary>
public sealed class AudioRates
{
    [Range(typeof(decimal), "0", "1000")]
    public decimal Silent { get; set; }

    [Range(typeof(decimal), "0", "1000")]
    public decimal WithAudio { get; set; }
}

/// <summary>Where the rates in force come from.</summary>
public enum PriceSource
{
    /// <summary>fal's pricing API, scaling the configured table up (never under it); the table while fal cannot be read.</summary>
    Fal,

    /// <summary>The configured table only.</summary>
    Table,
}
