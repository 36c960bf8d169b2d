using Fal.Queue;
using Microsoft.DurableTask;

namespace VeoFunctions.Jobs.Activities;

/// <summary>Asks fal to stop a request we have given up on, so it is not generated (and billed) for nothing.</summary>
public sealed class CancelFalRequest(FalQueueClient fal) : TaskActivity<FalJob, FalCancelOutcome>
{
    public override Task<FalCancelOutcome> RunAsync(TaskActivityContext context, FalJob input) =>
        fal.CancelAsync(input.ToFalRequest(), CancellationToken.None);
}
