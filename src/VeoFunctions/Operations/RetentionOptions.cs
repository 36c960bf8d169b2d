using System.ComponentModel.DataAnnotations;

namespace VeoFunctions.Operations;

/// <summary>How long finished durable histories are kept (<see cref="HistoryRetention"/>).</summary>
public sealed class RetentionOptions
{
    public const string SectionName = "Retention";

    /// <summary>
    /// Days a finished job's history (and its salvage run's) is kept after the job was created; 0 keeps them for good.
    /// The job's status (<c>GET /api/videos/{jobId}</c>) answers 404 once it is purged; its video, its claim and its
    /// ledger stay, so a replayed start is still the same job.
    /// </summary>
    [Range(0, 3650)]
    public int HistoryDays { get; set; } = 30;

    /// <summary>Most jobs purged in one run (the rest wait for the next day): one run stays well inside the function timeout.</summary>
    [Range(1, 100_000)]
    public int MaxPurgesPerRun { get; set; } = 5000;
}
