using Fal.Queue;
using Microsoft.DurableTask;

namespace VeoFunctions.Jobs.Activities;

/// <summary>Asks fal where the request is: the fallback when the webhook is late or lost.</summary>
public sealed class CheckFalStatus(FalQueueClient fal) : TaskActivity<FalJob, FalProgress>
{
    public override async Task<FalProgress> RunAsync(TaskActivityContext context, FalJob input)
    {
        var status = await fal.GetStatusAsync(input.ToFalRequest(), logs: false, CancellationToken.None).ConfigureAwait(false);
        string? error = status.HasFailed
            ? $"fal reported the generation failed{(status.ErrorType is null ? "" : $" ({status.ErrorType})")}: {status.Error ?? "no detail given"}."
            : null;
        return new FalProgress(status.IsCompleted, status.State is FalRequestState.InProgress or FalRequestState.Completed, status.QueuePosition, error);
    }
}
