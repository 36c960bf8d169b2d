using Microsoft.DurableTask.Client;

namespace VeoFunctions.Jobs;

/// <summary>
/// What <c>GET /api/videos/{jobId}</c> answers. <see cref="Timeline"/> says when the job entered each phase;
/// <see cref="LastError"/> is a passing trouble it is working through; <see cref="Note"/> what a cancel achieved;
/// <see cref="Salvaged"/> that the video came after the job had ended and was archived by its salvage run;
/// <see cref="Cost"/> what it was estimated to cost and, once fal's billing shows it, what fal charged; <see cref="Prompt"/>
/// what the caller asked for (read from the job's input, so a callback, which is made without it, leaves it out).
/// </summary>
public sealed record JobStatus(
    string JobId,
    string Phase,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    string? FalRequestId,
    int? QueuePosition,
    ArchivedVideo? Video,
    string? Error,
    IReadOnlyList<PhaseChange>? Timeline = null,
    string? LastError = null,
    IReadOnlyList<string>? Logs = null,
    string? Note = null,
    bool Salvaged = false,
    Money.JobCost? Cost = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Prompt = null)
{
    /// <summary>The status document as the orchestration itself sees it (what a callback carries).</summary>
    public static JobStatus Of(string jobId, DateTimeOffset createdAt, DateTimeOffset at, JobProgress progress, bool salvaged)
    {
        ArgumentNullException.ThrowIfNull(progress);
        bool ended = progress.Phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled;
        return new JobStatus(jobId, Name(progress.Phase), createdAt, at, progress.FalRequestId,
            progress.Phase == JobPhase.Queued ? progress.QueuePosition : null, progress.Video,
            progress.Phase is JobPhase.Failed or JobPhase.Cancelled && progress.Video is null ? progress.Error : null,
            progress.Timeline, ended ? null : progress.LastError, progress.Logs, progress.Note, salvaged, progress.Cost);
    }

    /// <summary>Reads a job's status from its orchestration instance and, if it has one, its salvage run.</summary>
    public static JobStatus From(OrchestrationMetadata instance, OrchestrationMetadata? salvage = null)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var progress = instance.ReadCustomStatusAs<JobProgress>();
        var phase = instance.RuntimeStatus switch
        {
            // A job that ended as expected without its video (a cancel, fal's verdict) completes its orchestration.
            OrchestrationRuntimeStatus.Completed => progress?.Phase is JobPhase.Cancelled or JobPhase.Failed ? progress.Phase : JobPhase.Completed,
            OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated => progress?.Phase == JobPhase.Cancelled ? JobPhase.Cancelled : JobPhase.Failed,
            _ => progress?.Phase ?? JobPhase.Validating,
        };
        var output = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<VideoJobResult>() : null;
        var input = instance.SerializedInput is null ? null : instance.ReadInputAs<VideoJobInput>();
        string? error = phase is JobPhase.Failed or JobPhase.Cancelled && output is null
            ? progress?.Error ?? instance.FailureDetails?.ErrorMessage ?? "The job was stopped before it finished."
            : null;
        var status = new JobStatus(
            instance.InstanceId,
            Name(phase),
            instance.CreatedAt,
            instance.LastUpdatedAt,
            output?.FalRequestId ?? progress?.FalRequestId,
            phase is JobPhase.Queued ? progress?.QueuePosition : null,
            output?.Video ?? progress?.Video,
            error,
            progress?.Timeline,
            instance.IsCompleted ? null : progress?.LastError,
            progress?.Logs,
            progress?.Note,
            Cost: progress?.Cost ?? (input?.Quote is { } quote ? Money.JobCost.Pending(quote.Estimate) : null), // before the first step publishes, the estimate is in the input
            Prompt: input?.Request.Prompt);
        return salvage is null || output is not null ? status : WithSalvage(status, salvage);
    }

    // A job that ended without its video, whose video fal delivered later: the salvage run's progress is the job's.
    private static JobStatus WithSalvage(JobStatus job, OrchestrationMetadata salvage)
    {
        var progress = salvage.ReadCustomStatusAs<JobProgress>();
        var video = salvage.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? salvage.ReadOutputAs<VideoJobResult>()?.Video : progress?.Video;
        // A salvage run that has archived (or given up) still reports and settles for a while: its phase says so first.
        var phase = salvage.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Completed => job.Phase == Name(JobPhase.Cancelled) ? JobPhase.Cancelled : JobPhase.Completed,
            OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated => job.Phase == Name(JobPhase.Cancelled) ? JobPhase.Cancelled : JobPhase.Failed,
            _ when video is not null => job.Phase == Name(JobPhase.Cancelled) ? JobPhase.Cancelled : JobPhase.Completed,
            _ when progress?.Phase == JobPhase.Failed => job.Phase == Name(JobPhase.Cancelled) ? JobPhase.Cancelled : JobPhase.Failed,
            _ => JobPhase.Archiving,
        };
        string? error = phase == JobPhase.Failed ? progress?.Error ?? salvage.FailureDetails?.ErrorMessage ?? job.Error : phase == JobPhase.Cancelled && video is null ? job.Error : null;
        return job with
        {
            Phase = Name(phase),
            LastUpdatedAt = salvage.LastUpdatedAt > job.LastUpdatedAt ? salvage.LastUpdatedAt : job.LastUpdatedAt,
            FalRequestId = progress?.FalRequestId ?? job.FalRequestId, // a job whose submit answer was lost may have learnt it only here
            Video = video,
            Error = error,
            Timeline = [.. job.Timeline ?? [], .. progress?.Timeline ?? []],
            LastError = salvage.IsCompleted ? null : progress?.LastError,
            Note = video is null ? job.Note : $"{(job.Error ?? job.Note)?.TrimEnd('.')}. fal delivered the video afterwards, and it was archived.",
            Salvaged = true,
            Cost = progress?.Cost is { ActualUsd: not null } billed ? billed : job.Cost ?? progress?.Cost,
        };
    }

    private static string Name(JobPhase phase) => phase.ToString().ToLowerInvariant();
}
