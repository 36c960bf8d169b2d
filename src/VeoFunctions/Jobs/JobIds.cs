using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace VeoFunctions.Jobs;

/// <summary>Job ids from outside: their shape, and the job they name.</summary>
public static class JobIds
{
    /// <summary>Checked before an id from a URL reaches storage.</summary>
    public static bool IsWellFormed(string? jobId) =>
        jobId is { Length: > 0 and <= 64 } && jobId.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));

    private const string SalvageSuffix = "-salvage";

    /// <summary>
    /// The instance id of the job's salvage run: round 1 is the one a late delivery or the first resume starts, each
    /// later round one more resume of a run whose archive ended it. The dash makes it unreachable as a job id from
    /// outside, so no caller-chosen id can collide with it.
    /// </summary>
    public static string SalvageIdFor(string jobId, int round = 1) =>
        round <= 1 ? jobId + SalvageSuffix : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{jobId}{SalvageSuffix}-{round}");

    /// <summary>The job an instance id belongs to, and the salvage round it is (0 for the job's own orchestration).</summary>
    public static (string JobId, int SalvageRound) JobOf(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        if (instanceId.EndsWith(SalvageSuffix, StringComparison.Ordinal))
        {
            return (instanceId[..^SalvageSuffix.Length], 1);
        }

        int dash = instanceId.LastIndexOf('-');
        return dash > SalvageSuffix.Length && instanceId[..dash].EndsWith(SalvageSuffix, StringComparison.Ordinal)
            && int.TryParse(instanceId.AsSpan(dash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int round) && round > 1
            ? (instanceId[..(dash - SalvageSuffix.Length)], round)
            : (instanceId, 0);
    }

    /// <summary>
    /// Start options that never replace an instance of that id, whatever its state: backends differ on what an existing
    /// id means (the Functions host replaces an ended instance, the in-process engine restarts even a running one), and a
    /// stale start must find the job or run it made, never rewrite it.
    /// </summary>
    public static StartOrchestrationOptions StartOnce(string instanceId) => new StartOrchestrationOptions(instanceId).WithDedupeStatuses(
        OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended,
        OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated);

    /// <summary>
    /// The job's latest salvage run, if one was started. A later round is started only once the one before it ended
    /// failed, so only then is the next looked for: a job with one run costs one lookup.
    /// </summary>
    public static async Task<OrchestrationMetadata?> FindSalvageAsync(this DurableTaskClient durable, string jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(durable);
        OrchestrationMetadata? latest = null;
        for (int round = 1; ; round++)
        {
            var instance = await durable.GetInstanceAsync(SalvageIdFor(jobId, round), getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
            if (instance?.Name != nameof(VideoSalvageOrchestrator))
            {
                return latest;
            }

            latest = instance;
            if (instance.RuntimeStatus != OrchestrationRuntimeStatus.Failed)
            {
                return latest;
            }
        }
    }

    /// <summary>The job's status, with its salvage run's progress when the job ended without its video.</summary>
    public static async Task<JobStatus> StatusOfAsync(this DurableTaskClient durable, OrchestrationMetadata job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var salvage = EndedWithoutVideo(job)
            ? await durable.FindSalvageAsync(job.InstanceId, cancellationToken).ConfigureAwait(false)
            : null;
        return JobStatus.From(job, salvage);
    }

    /// <summary>
    /// The job ended and has no video: its orchestration failed, or completed without one (an expected end: a cancel,
    /// fal's verdict), or its phase says it ended so while the orchestration still reports or settles its cost (which
    /// can take hours). Such a job's video, if fal delivers it later, is its salvage run's.
    /// </summary>
    public static bool EndedWithoutVideo(OrchestrationMetadata job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var progress = job.ReadCustomStatusAs<JobProgress>();
        return job.IsCompleted
            ? job.RuntimeStatus != OrchestrationRuntimeStatus.Completed || (job.SerializedOutput is null or "null" && progress?.Video is null)
            : progress is { Phase: JobPhase.Failed or JobPhase.Cancelled, Video: null };
    }

    /// <summary>The job's orchestration; null for an ill-formed or unknown id, or another orchestration's instance.</summary>
    public static async Task<OrchestrationMetadata?> FindJobAsync(this DurableTaskClient durable, string jobId, bool withInputsAndOutputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(durable);
        if (!IsWellFormed(jobId))
        {
            return null;
        }

        var instance = await durable.GetInstanceAsync(jobId, withInputsAndOutputs, cancellationToken).ConfigureAwait(false);
        return instance?.Name == nameof(VideoJobOrchestrator) ? instance : null;
    }
}
