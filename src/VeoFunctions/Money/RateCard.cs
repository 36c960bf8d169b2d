using System.Globalization;
using VeoFunctions.Jobs;

namespace VeoFunctions.Money;

/// <summary>
/// The per-second rates in force, by resolution and audio, and where they came from. Estimates a request by the
/// model's own defaults for what it leaves out: 8 seconds, 720p, audio on (docs/fal.md).
/// </summary>
public sealed class RateCard
{
    /// <summary>The model's defaults, which fal's single price is taken to be the rate of.</summary>
    public const string DefaultResolution = "720p";

    public const string DefaultDuration = "8s";

    private readonly Dictionary<string, (decimal Silent, decimal WithAudio)> _rates;

    public RateCard(IReadOnlyDictionary<string, AudioRates> rates, string source, decimal scale = 1m)
    {
        ArgumentNullException.ThrowIfNull(rates);
        _rates = rates.ToDictionary(r => r.Key, r => (r.Value.Silent * scale, r.Value.WithAudio * scale), StringComparer.OrdinalIgnoreCase);
        Source = source;
    }

    /// <summary><c>fal</c> or <c>table</c>.</summary>
    public string Source { get; }

    /// <summary>USD per second for a resolution, silent or with audio; a resolution the table lacks costs as 4k (the dearest).</summary>
    public decimal PerSecond(string resolution, bool audio)
    {
        var rates = _rates.TryGetValue(resolution, out var known) ? known : _rates.Values.MaxBy(r => r.WithAudio);
        return audio ? rates.WithAudio : rates.Silent;
    }

    public CostEstimate Estimate(VideoRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string resolution = request.Resolution ?? DefaultResolution;
        bool audio = request.GenerateAudio ?? true;
        int seconds = Seconds(request.Duration ?? DefaultDuration);
        decimal rate = PerSecond(resolution, audio);
        return new CostEstimate(seconds * rate, seconds, rate, resolution, audio, Source);
    }

    // "8s" → 8; the parser admits only the model's durations, so anything else is a programming error.
    private static int Seconds(string duration) =>
        int.TryParse(duration.TrimEnd('s'), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds > 0
            ? seconds
            : throw new ArgumentException($"Not a duration in seconds: {duration}.", nameof(duration));
}
