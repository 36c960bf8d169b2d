namespace VeoFunctions.Jobs;

/// <summary>
/// The orchestration's custom status: what a caller can see while the job runs. Room for cost and timings.
/// </summary>
public sealed record JobProgress(
    JobPhase Phase,
    string? FalRequestId = null,
    int? QueuePosition = null,
    string? Error = null,
    DateTimeOffset? SubmittedAt = null,
    ArchivedVideo? Video = null);
