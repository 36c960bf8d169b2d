namespace VeoFunctions.Jobs;

/// <summary>When the job entered a phase (orchestration time), so a caller can see how long each one took.</summary>
public sealed record PhaseChange(JobPhase Phase, DateTimeOffset At);
