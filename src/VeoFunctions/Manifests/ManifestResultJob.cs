using VeoFunctions.Jobs;

namespace VeoFunctions.Manifests;

/// <summary>
/// One job in the result file: its ids, where to ask about it, its cost (the estimate, from the start), and once it
/// ended, its video or why not.
/// </summary>
public sealed record ManifestResultJob(
    int Index, string? Id, string JobId, Uri StatusUrl, string Phase, ArchivedVideo? Video = null, string? Error = null, string? Note = null, DateTimeOffset? EndedAt = null,
    Money.JobCost? Cost = null);
