using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace VeoFunctions.Jobs;

/// <summary>Job ids from outside: their shape, and the job they name.</summary>
public static class JobIds
{
    /// <summary>Checked before an id from a URL reaches storage.</summary>
    public static bool IsWellFormed(string? jobId) =>
        jobId is { Length: > 0 and <= 64 } && jobId.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));

    /// <summary>
    /// The instance id of the job's salvage run. The dash makes it unreachable as a job id from outside, so no
    /// caller-chosen id can collide with it.
    /// </summary>
    public static string SalvageIdFor(string jobId) => $"{jobId}-salvage";

    /// <summary>
    /// Start options that never replace an instance of that id, whatever its state: backends differ on what an existing
    /// id means (the Functions host replaces an ended instance, the in-process engine restarts even a running one), and a
    /// stale start must find the job or run it made, never rewrite it.
    /// </summary>
    public static StartOrchestrationOptions StartOnce(string instanceId) => new StartOrchestrationOptions(instanceId).WithDedupeStatuses(
        OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended,
        OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated);

    /// <summary>The job's salvage run, if one was started.</summary>
    public static async Task<OrchestrationMetadata?> FindSalvageAsync(this DurableTaskClient durable, string jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(durable);
        var instance = await durable.GetInstanceAsync(SalvageIdFor(jobId), getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        return instance?.Name == nameof(VideoSalvageOrchestrator) ? instance : null;
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
