using Microsoft.DurableTask.Client;
using VeoFunctions.Jobs;
using VeoFunctions.Money;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Jobs;

/// <summary>The status of jobs that end as expected (their orchestration completes) and while their cost settles.</summary>
public sealed class JobStatusCostTests
{
    private const string JobId = "0123456789abcdef0123456789abcdef";
    private static readonly DateTimeOffset Created = new(2026, 8, 20, 12, 0, 0, TimeSpan.Zero);
    private static readonly JobCost Billed = new(3.2m, 3.1m, JobBilling.Billed, 8, 0.4m, "fal");

    private static OrchestrationMetadata Instance(OrchestrationRuntimeStatus status, JobProgress progress) =>
        Instances.Of(nameof(VideoJobOrchestrator), JobId, status, Created, Created.AddMinutes(3), progress, null, null);

    [Theory]
    [InlineData(JobPhase.Failed, "failed")]
    [InlineData(JobPhase.Cancelled, "cancelled")]
    public void AnExpectedEnd_ThatCompletedItsOrchestration_ShowsItsPhaseAndWhy(JobPhase phase, string expected)
    {
        var status = JobStatus.From(Instance(OrchestrationRuntimeStatus.Completed, new JobProgress(phase, "req-1", Error: "fal refused the prompt (content_policy_violation).")));

        Assert.Equal(expected, status.Phase);
        Assert.Equal("fal refused the prompt (content_policy_violation).", status.Error);
        Assert.True(JobIds.EndedWithoutVideo(Instance(OrchestrationRuntimeStatus.Completed, new JobProgress(phase))));
    }

    [Fact]
    public void AJobSettlingItsCost_ShowsItsEnd_AndTheCostAsItStands()
    {
        var status = JobStatus.From(Instance(OrchestrationRuntimeStatus.Running, new JobProgress(JobPhase.Completed, "req-1", Cost: Billed)));

        Assert.Equal("completed", status.Phase);
        Assert.Equal(Billed, status.Cost);
        Assert.False(status.Cost!.IsEstimate);
    }
}
