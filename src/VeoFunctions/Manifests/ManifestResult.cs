namespace VeoFunctions.Manifests;

/// <summary>
/// <c>{name}.result.json</c>: written when a manifest's jobs start, and updated as each one ends, so a pipeline can
/// watch one file. <see cref="Counts"/> says how many are running, completed, failed and cancelled.
/// </summary>
public sealed record ManifestResult(
    string Manifest, string ETag, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, ManifestCounts Counts, IReadOnlyList<ManifestResultJob> Jobs);
