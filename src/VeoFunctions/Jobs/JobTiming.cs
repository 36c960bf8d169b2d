namespace VeoFunctions.Jobs;

/// <summary>
/// How long and how often to wait and retry. Computed from options by the starter and carried in the input,
/// because the orchestrator may not read configuration (a replay must see the values the first run saw).
/// Fields after <see cref="MaxActivityAttempts"/> came with version 2.0; instances of the first release lack them.
/// <see cref="BillingFirstRecheck"/> and <see cref="BillingHorizon"/> are <c>Money:</c> settings (see
/// <see cref="Money.JobSpending.WithBillingChecks"/>).
/// </summary>
public sealed record JobTiming(
    TimeSpan FirstStatusCheck,
    TimeSpan MaxStatusCheckInterval,
    TimeSpan Deadline,
    TimeSpan FirstRetryInterval,
    int MaxActivityAttempts,
    TimeSpan CancelGrace = default,
    TimeSpan MaxGenerationTime = default,
    TimeSpan ArchiveHorizon = default,
    TimeSpan MaxArchiveRetryInterval = default,
    TimeSpan CallbackFirstRetryInterval = default,
    int CallbackAttempts = 0,
    TimeSpan BillingFirstRecheck = default,
    TimeSpan BillingHorizon = default,
    int VideoNotFoundRounds = 0)
{
    /// <summary>The timings a job started now gets.</summary>
    public static JobTiming From(JobOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.FirstStatusCheck, options.MaxStatusCheckInterval, options.Deadline, options.FirstRetryInterval, options.MaxActivityAttempts,
            options.CancelGrace, options.MaxGenerationTime, options.ArchiveHorizon, options.MaxArchiveRetryInterval,
            options.CallbackFirstRetryInterval, options.CallbackAttempts, VideoNotFoundRounds: options.VideoNotFoundRounds);
    }
}
