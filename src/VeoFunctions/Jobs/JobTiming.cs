namespace VeoFunctions.Jobs;

/// <summary>
/// How long and how often to wait and retry. Computed from options by the starter and carried in the input,
/// because the orchestrator may not read configuration (a replay must see the values the first run saw).
/// </summary>
public sealed record JobTiming(
    TimeSpan FirstStatusCheck,
    TimeSpan MaxStatusCheckInterval,
    TimeSpan Deadline,
    TimeSpan FirstRetryInterval,
    int MaxActivityAttempts);
