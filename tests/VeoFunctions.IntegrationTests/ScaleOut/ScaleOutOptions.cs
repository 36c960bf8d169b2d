using FalEmulator;

namespace VeoFunctions.IntegrationTests.ScaleOut;

/// <summary>How a <see cref="ScaleOutRig"/> is set up. The durable settings default to host.json's.</summary>
public sealed record ScaleOutOptions
{
    /// <summary>App instances on the one task hub.</summary>
    public int Instances { get; init; } = 3;

    /// <summary>host.json <c>storageProvider.partitionCount</c>.</summary>
    public int PartitionCount { get; init; } = 4;

    /// <summary>host.json <c>storageProvider.maxQueuePollingInterval</c>.</summary>
    public TimeSpan QueuePolling { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>host.json <c>maxConcurrentActivityFunctions</c>, per instance.</summary>
    public int MaxConcurrentActivities { get; init; } = 16;

    /// <summary>host.json <c>maxConcurrentOrchestratorFunctions</c>, per instance.</summary>
    public int MaxConcurrentOrchestrations { get; init; } = 16;

    /// <summary>
    /// How long a queue message a killed instance had taken stays invisible (control and work-item queues alike). The
    /// backend's default, which host.json keeps, is 5 minutes: jobs whose messages the dead instance held then resume
    /// 5 minutes later. The rig shortens it so a run fits the CI budget; the lease takeover (30 s leases) is unchanged.
    /// Not below a minute: a live instance that holds a message longer than this (prefetched while it is busy) sees it
    /// come back and processes it twice; the backend copes (a duplicate ExecutionStarted is dropped after warnings), but
    /// that is noise this rig should not make.
    /// </summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// false: no durable workers. The sidecars then only serve the doors' client calls (their dispatchers and partition
    /// managers start with the first worker), so jobs are accepted and wait in the task hub: intake measured alone.
    /// </summary>
    public bool Workers { get; init; } = true;

    public EmulatorOptions Emulator { get; init; } = new();

    /// <summary>May change the app's settings (every instance's) once the emulator runs.</summary>
    public Action<IDictionary<string, string?>>? Configure { get; init; }

    /// <summary>
    /// For a burst: fal generates each video for <paramref name="generation"/> with no queue time and no concurrency
    /// limit; the app's status checks keep production's ratios to it (first at 1.5×, then at most every 1×), so the
    /// webhook is the normal path and polling the fallback.
    /// </summary>
    public static ScaleOutOptions Burst(TimeSpan generation, int instances = 3) => new()
    {
        Instances = instances,
        Emulator = new EmulatorOptions { QueueTime = TimeSpan.Zero, GenerationTime = generation },
        Configure = values =>
        {
            values["Jobs:FirstStatusCheck"] = (generation * 1.5).ToString("c", System.Globalization.CultureInfo.InvariantCulture);
            values["Jobs:MaxStatusCheckInterval"] = generation.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
            values["Jobs:Deadline"] = "00:05:00";
        },
    };
}
