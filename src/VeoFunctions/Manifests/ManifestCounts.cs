namespace VeoFunctions.Manifests;

/// <summary>How many of a manifest's jobs are in each state.</summary>
public sealed record ManifestCounts(int Total, int Running, int Completed, int Failed, int Cancelled)
{
    public static ManifestCounts Of(IReadOnlyCollection<ManifestResultJob> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        return new(jobs.Count, Count(jobs, "running"), Count(jobs, "completed"), Count(jobs, "failed"), Count(jobs, "cancelled"));
    }

    private static int Count(IEnumerable<ManifestResultJob> jobs, string phase) => jobs.Count(j => j.Phase == phase);
}
