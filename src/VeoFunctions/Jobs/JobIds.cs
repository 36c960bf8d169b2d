using Microsoft.DurableTask.Client;

namespace VeoFunctions.Jobs;

/// <summary>Job ids from outside: their shape, and the job they name.</summary>
public static class JobIds
{
    /// <summary>Checked before an id from a URL reaches storage.</summary>
    public static bool IsWellFormed(string? jobId) =>
        jobId is { Length: > 0 and <= 64 } && jobId.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));

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
