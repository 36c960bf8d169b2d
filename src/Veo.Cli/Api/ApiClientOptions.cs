namespace Veo.Cli.Api;

/// <summary>How patient <see cref="VeoApiClient"/> is; tests shorten the delays.</summary>
public sealed record ApiClientOptions
{
    /// <summary>How long one request may take to answer (a create uploads up to three 8 MB images).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>How often a create is sent in all when the app is starting the job or cannot be reached.</summary>
    public int CreateAttempts { get; init; } = 5;

    /// <summary>The first wait between create attempts; it doubles each time, up to ten seconds.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
