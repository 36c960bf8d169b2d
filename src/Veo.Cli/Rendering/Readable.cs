using System.Globalization;

namespace Veo.Cli.Rendering;

/// <summary>Byte counts and durations as a person reads them, the same everywhere the CLI prints one.</summary>
public static class Readable
{
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => Invariant($"{bytes} B"),
        < 1024 * 1024 => Invariant($"{bytes / 1024.0:0.#} KB"),
        _ => Invariant($"{bytes / (1024.0 * 1024):0.#} MB"),
    };

    /// <summary>"0.4s", "12s", "1m 05s", "1h 02m": precise while short, coarse once long. Negative (clock skew) is 0.</summary>
    public static string Duration(TimeSpan duration)
    {
        duration = duration < TimeSpan.Zero ? TimeSpan.Zero : duration;
        return duration.TotalSeconds switch
        {
            < 10 => Invariant($"{Math.Floor(duration.TotalSeconds * 10) / 10:0.0}s"),
            < 60 => Invariant($"{(int)duration.TotalSeconds}s"),
            < 3600 => Invariant($"{(int)duration.TotalMinutes}m {duration.Seconds:00}s"),
            _ => Invariant($"{(int)duration.TotalHours}h {duration.Minutes:00}m"),
        };
    }

    /// <summary>A moment as the time since the job was created, "m:ss" (or "h:mm:ss").</summary>
    public static string Offset(TimeSpan sinceStart)
    {
        sinceStart = sinceStart < TimeSpan.Zero ? TimeSpan.Zero : sinceStart;
        return sinceStart.TotalHours >= 1
            ? Invariant($"{(int)sinceStart.TotalHours}:{sinceStart.Minutes:00}:{sinceStart.Seconds:00}")
            : Invariant($"{(int)sinceStart.TotalMinutes}:{sinceStart.Seconds:00}");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
