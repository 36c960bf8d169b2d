using System.Globalization;

namespace VeoFunctions.Jobs;

/// <summary>Durations as a sentence says them ("30 minutes", "2 seconds"), not as TimeSpan prints them ("00:30:00").</summary>
internal static class Durations
{
    public static string Say(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalHours % 24 == 0 ? Count(span.TotalDays, "day")
        : span.TotalHours >= 1 && span.TotalMinutes % 60 == 0 ? Count(span.TotalHours, "hour")
        : span.TotalMinutes >= 1 && span.TotalSeconds % 60 == 0 ? Count(span.TotalMinutes, "minute")
        : span.TotalSeconds >= 1 ? Count(Math.Round(span.TotalSeconds, 1), "second")
        : Count(Math.Round(span.TotalMilliseconds), "millisecond");

    private static string Count(double value, string unit) =>
        string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {unit}{(value == 1 ? "" : "s")}");
}
