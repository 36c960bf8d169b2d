namespace VeoFunctions.Manifests;

/// <summary>A manifest's jobs, or every problem found in it (then nothing may start).</summary>
public sealed record ManifestParseResult(IReadOnlyList<ManifestJob> Jobs, IReadOnlyList<ManifestProblem> Problems)
{
    public bool IsValid => Problems.Count == 0;
}
