namespace VeoFunctions.Jobs;

/// <summary>
/// The orchestration's custom status: what a caller can see while the job runs. <see cref="Error"/> is why a job
/// ended without its video; <see cref="LastError"/> is a passing trouble the job is still working through (fal's
/// status API down, an archive retry); <see cref="Note"/> says what a cancel achieved or what was spent;
/// <see cref="Cost"/> the door's estimate and, once fal's billing shows it, what fal charged.
/// </summary>
public sealed record JobProgress(
    JobPhase Phase,
    string? FalRequestId = null,
    int? QueuePosition = null,
    string? Error = null,
    DateTimeOffset? SubmittedAt = null,
    ArchivedVideo? Video = null,
    IReadOnlyList<PhaseChange>? Timeline = null,
    string? LastError = null,
    IReadOnlyList<string>? Logs = null,
    string? Note = null,
    Money.JobCost? Cost = null);
