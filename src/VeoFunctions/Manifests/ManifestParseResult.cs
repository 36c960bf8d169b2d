namespace VeoFunctions.Manifests;

/// <summary>
/// A manifest's jobs that parsed, and every problem found in it. With any problem nothing may start, but the jobs
/// that parsed are still checked further (their blob images), so the error file lists every problem at once.
/// </summary>
public sealed record ManifestParseResult(IReadOnlyList<ManifestJob> Jobs, IReadOnlyList<ManifestProblem> Problems)
{
    public bool IsValid => Problems.Count == 0;
}
