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

    [Fact]
    public void TheStatus_NamesTheJobsPrompt_FromItsInput_AndACallbacksDocumentLeavesItOut()
    {
        var input = new VideoJobInput(JobId, new VideoRequest("A heron at dawn"), [new ImageSource(0, "https://images.example/heron.png", null)],
            new Uri($"https://app.example/api/fal/webhook?job={JobId}&token=0a1b2c3d"), JobTiming.From(new JobOptions()), Created);
        var instance = Instance(OrchestrationRuntimeStatus.Running, new JobProgress(JobPhase.Generating, "req-1"));
        instance = new OrchestrationMetadata(instance.Name, instance.InstanceId)
        {
            RuntimeStatus = instance.RuntimeStatus,
            CreatedAt = instance.CreatedAt,
            LastUpdatedAt = instance.LastUpdatedAt,
            SerializedCustomStatus = instance.SerializedCustomStatus,
            SerializedInput = FakeDurableClient.Converter.Serialize(input),
            DataConverter = FakeDurableClient.Converter,
        };

        Assert.Equal("A heron at dawn", JobStatus.From(instance).Prompt);
        Assert.Contains("\"prompt\":\"A heron at dawn\"", System.Text.Json.JsonSerializer.Serialize(JobStatus.From(instance), System.Text.Json.JsonSerializerOptions.Web), StringComparison.Ordinal);
        Assert.DoesNotContain("prompt", System.Text.Json.JsonSerializer.Serialize(JobStatus.Of(JobId, Created, Created, new JobProgress(JobPhase.Generating), salvaged: false), System.Text.Json.JsonSerializerOptions.Web), StringComparison.Ordinal);
    }
}
