using VeoFunctions.Jobs;

namespace VeoFunctions.Manifests;

/// <summary>
/// One job in the result file: its ids, where to ask about it, its cost (the estimate, from the start), and once it
/// ended, its video or why not. <see cref="Version"/> is the manifest's ETag when the entry first started this job, and
/// <see cref="StartedAt"/> when that intake began: the file keeps every job the manifest's name ever started.
/// <see cref="Attempt"/> is which of the entry's jobs this is: 0 its first, n the one a redrive of failed entries started
/// after n ended ones (none for a job an earlier release started).
/// </summary>
public sealed record ManifestResultJob(
    int Index, string? Id, string JobId, Uri StatusUrl, string Phase, ArchivedVideo? Video = null, string? Error = null, string? Note = null, DateTimeOffset? EndedAt = null,
    Money.JobCost? Cost = null, string? Version = null, DateTimeOffset? StartedAt = null, int? Attempt = null);
