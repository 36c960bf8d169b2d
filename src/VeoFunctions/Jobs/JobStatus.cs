using Microsoft.DurableTask.Client;

namespace VeoFunctions.Jobs;

/// <summary>What <c>GET /api/videos/{jobId}</c> answers.</summary>
public sealed record JobStatus(
    string JobId,
    string Phase,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    string? FalRequestId,
    int? QueuePosition,
    ArchivedVideo? Video,
    string? Error)
{
    /// <summary>Reads a job's status from its orchestration instance.</summary>
    public static JobStatus From(OrchestrationMetadata instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var progress = instance.ReadCustomStatusAs<JobProgress>();
        var phase = instance.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Completed => JobPhase.Completed,
            OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated => JobPhase.Failed,
            _ => progress?.Phase ?? JobPhase.Validating,
        };
        var output = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<VideoJobResult>() : null;
        string? error = phase == JobPhase.Failed
            ? progress?.Error ?? instance.FailureDetails?.ErrorMessage ?? "The job was stopped before it finished."
            : null;
        return new JobStatus(
            instance.InstanceId,
            phase.ToString().ToLowerInvariant(),
            instance.CreatedAt,
            instance.LastUpdatedAt,
            output?.FalRequestId ?? progress?.FalRequestId,
            phase is JobPhase.Queued ? progress?.QueuePosition : null,
            output?.Video ?? progress?.Video,
            error);
    }
}
