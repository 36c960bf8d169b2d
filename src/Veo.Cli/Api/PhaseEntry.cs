namespace Veo.Cli.Api;

/// <summary>When a job entered a phase; consecutive entries give the time spent in each.</summary>
public sealed record PhaseEntry(string Phase, DateTimeOffset At);
