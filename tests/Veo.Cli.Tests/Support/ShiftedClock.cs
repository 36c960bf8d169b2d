namespace Veo.Cli.Tests.Support;

/// <summary>
/// The real clock moved to <paramref name="start"/>: running phases show sensible durations against a script's fixed
/// timestamps, while delays still pass in real time (the base class's timers are the system's).
/// </summary>
internal sealed class ShiftedClock(DateTimeOffset start) : TimeProvider
{
    private readonly DateTimeOffset origin = System.GetUtcNow();

    public override DateTimeOffset GetUtcNow() => start + (System.GetUtcNow() - origin);
}
