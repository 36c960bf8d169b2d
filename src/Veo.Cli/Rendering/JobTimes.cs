using Veo.Cli.Api;

namespace Veo.Cli.Rendering;

/// <summary>How long a job and each of its phases took, from the app's timeline; a running phase counts up to now.</summary>
public static class JobTimes
{
    /// <summary>From creation to the end, or to <paramref name="now"/> while the job runs.</summary>
    public static TimeSpan Elapsed(JobStatus status, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(status);
        DateTimeOffset end = status.HasEnded ? status.Timeline is { Count: > 0 } timeline ? timeline[^1].At : status.LastUpdatedAt : now;
        return end - status.CreatedAt;
    }

    /// <summary>
    /// Each timeline entry with when it began (since creation) and how long it lasted; null for the final phase
    /// of an ended job, which has no length.
    /// </summary>
    public static IReadOnlyList<PhaseTime> Phases(JobStatus status, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(status);
        var timeline = status.Timeline ?? [];
        var phases = new List<PhaseTime>(timeline.Count);
        for (int i = 0; i < timeline.Count; i++)
        {
            bool last = i == timeline.Count - 1;
            TimeSpan? took = !last ? timeline[i + 1].At - timeline[i].At
                : status.HasEnded ? null
                : now - timeline[i].At;
            phases.Add(new PhaseTime(timeline[i].Phase, timeline[i].At - status.CreatedAt, took, Running: last && !status.HasEnded));
        }

        return phases;
    }
}
