namespace VeoFunctions.Manifests;

/// <summary><c>{name}.error.json</c>: every problem found in a manifest; nothing of it was started or spent.</summary>
public sealed record ManifestErrors(string Manifest, string ETag, DateTimeOffset CheckedAt, IReadOnlyList<ManifestProblem> Problems);
