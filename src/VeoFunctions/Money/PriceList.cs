using Fal;
using Fal.Platform;
using Fal.Veo31;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VeoFunctions.Money;

/// <summary>
/// The rates a job is estimated with: fal's price for the endpoint (<c>GET /v1/models/pricing</c>, cached for
/// <see cref="MoneyOptions.PricingCacheDuration"/>) applied to the configured table when it is above the table's, or
/// the table alone: an estimate (and so a reservation) is the larger of the two, never less than the table's.
/// </summary>
/// <remarks>
/// fal answers one <c>unit_price</c> per endpoint (unit <c>second</c> for Veo), "with proportional adjustments for
/// resolution/length", while the real price depends on resolution and audio. That one number is taken as the rate of
/// the model's default output, 720p with audio, and every rate of the table is scaled by fal's price over the table's
/// rate for that default: a price rise fal shows moves all rates in proportion (a price under the table's is not
/// followed), and the table keeps the shape fal's one number cannot express. An answer in another unit or currency is not understood and the table
/// is used alone, as while fal cannot be read (a failure is remembered for a minute, so a fal outage does not slow
/// every door), and so is a price outside <see cref="MinScale"/>–<see cref="MaxScale"/> of the table's (a glitch: a
/// price of 0 would turn the budget off).
/// </remarks>
public sealed partial class PriceList(FalPlatformClient platform, IOptions<MoneyOptions> options, TimeProvider time, ILogger<PriceList> logger) : IDisposable
{
    private static readonly TimeSpan FailureCacheDuration = TimeSpan.FromMinutes(1);

    /// <summary>fal's price is believed only within this band around the table's (0.25× to 4×); outside it the table is used.</summary>
    public const decimal MinScale = 0.25m;

    /// <inheritdoc cref="MinScale"/>
    public const decimal MaxScale = 4m;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private RateCard? _card;
    private DateTimeOffset _expires = DateTimeOffset.MinValue;

    /// <summary>The rates in force now.</summary>
    public async Task<RateCard> GetAsync(CancellationToken cancellationToken)
    {
        var money = options.Value;
        if (money.PriceSource == PriceSource.Table)
        {
            return Table(money);
        }

        if (_card is { } cached && time.GetUtcNow() < _expires)
        {
            return cached;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_card is null || time.GetUtcNow() >= _expires)
            {
                (_card, var lifetime) = await FetchAsync(money, cancellationToken).ConfigureAwait(false);
                _expires = time.GetUtcNow() + lifetime;
            }

            return _card;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<(RateCard Card, TimeSpan Lifetime)> FetchAsync(MoneyOptions money, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(money.PricingTimeout);
        try
        {
            var prices = await platform.GetPricingAsync(ReferenceToVideoInput.EndpointId, timeout.Token).ConfigureAwait(false);
            var price = prices.FirstOrDefault(p => p.EndpointId == ReferenceToVideoInput.EndpointId);
            decimal reference = Table(money).PerSecond(RateCard.DefaultResolution, audio: true);
            if (price is null || !IsPerSecond(price.Unit) || !string.Equals(price.Currency, "USD", StringComparison.OrdinalIgnoreCase) || reference <= 0)
            {
                Log.NotUnderstood(logger, price?.UnitPrice, price?.Unit, price?.Currency);
                return (Table(money), money.PricingCacheDuration);
            }

            decimal scale = price.UnitPrice / reference;
            if (scale < MinScale || scale > MaxScale)
            {
                // A glitch, not a price: a price of 0 would turn the budget off, a hundredfold one refuse every job.
                Log.OutOfBand(logger, price.UnitPrice, reference, MinScale, MaxScale);
                return (Table(money), money.PricingCacheDuration);
            }

            if (scale < 1)
            {
                // The table is the operator's floor: a price under it (a promotion, a cheaper variant's price while
                // billing stays at list) would shrink every reservation and admit more jobs than the budget allows,
                // which only fal's bill would show, hours later.
                Log.BelowTable(logger, price.UnitPrice, reference);
                return (Table(money), money.PricingCacheDuration);
            }

            return (new RateCard(money.Rates, "fal", scale), money.PricingCacheDuration);
        }
        catch (Exception ex) when (ex is FalApiException or HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Log.Unavailable(logger, ex.Message);
            return (Table(money), FailureCacheDuration);
        }
    }

    private static RateCard Table(MoneyOptions money) => new(money.Rates, "table");

    private static bool IsPerSecond(string unit) => unit.ToLowerInvariant() is "second" or "seconds" or "s" or "sec";

    private static partial class Log
    {
        [LoggerMessage(7001, LogLevel.Warning, "fal's pricing API could not be read ({Problem}); jobs are estimated from the configured price table")]
        public static partial void Unavailable(ILogger logger, string problem);

        [LoggerMessage(7003, LogLevel.Warning, "fal's price ({UnitPrice} USD per second) is outside {MinScale}x to {MaxScale}x of the configured table's {TableUnitPrice} USD; jobs are estimated from the table")]
        public static partial void OutOfBand(ILogger logger, decimal unitPrice, decimal tableUnitPrice, decimal minScale, decimal maxScale);

        [LoggerMessage(7004, LogLevel.Information, "fal's price ({UnitPrice} USD per second) is under the configured table's {TableUnitPrice} USD; jobs are estimated and reserved at the table's rates")]
        public static partial void BelowTable(ILogger logger, decimal unitPrice, decimal tableUnitPrice);

        [LoggerMessage(7002, LogLevel.Warning, "fal's price ({UnitPrice} {Currency} per {Unit}) is not a USD price per second; jobs are estimated from the configured price table")]
        public static partial void NotUnderstood(ILogger logger, decimal? unitPrice, string? unit, string? currency);
    }
}
