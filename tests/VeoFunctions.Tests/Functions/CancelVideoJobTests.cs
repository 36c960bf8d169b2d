using Microsoft.DurableTask.Client;
using VeoFunctions.Functions;
using VeoFunctions.Jobs;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Functions;

/// <summary>What a cancel answers by the job's phase: accepted while it can still stop, 409 once nothing can be saved.</summary>
public sealed class CancelVideoJobTests
{
    private const string JobId = "0123456789abcdef0123456789abcdef";

    private readonly FakeDurableClient _durable = new();

    private Task<Microsoft.AspNetCore.Mvc.IActionResult> CancelAsync(JobPhase phase)
    {
        _durable.Instances[JobId] = Instances.Of(nameof(VideoJobOrchestrator), JobId, OrchestrationRuntimeStatus.Running, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, new JobProgress(phase));
        return new CancelVideoJob().RunAsync(TestRequests.Post("", null), _durable.Object, JobId, CancellationToken.None);
    }

    [Fact]
    public async Task ACancelWhileArchiving_Is409_BecauseTheVideoIsPaidFor_AndRaisesNothing()
    {
        var result = await CancelAsync(JobPhase.Archiving);

        Assert.Equal(409, TestRequests.StatusOf(result));
        Assert.Contains("paid", TestRequests.BodyTextOf(result), StringComparison.Ordinal);
        _durable.VerifyRaised(0);
    }

    [Theory]
    [InlineData(JobPhase.Queued)]
    [InlineData(JobPhase.Generating)]
    public async Task ACancelWhileFalWorks_IsAccepted_AndRaisedToTheJob(JobPhase phase)
    {
        var result = await CancelAsync(phase);

        Assert.Equal(202, TestRequests.StatusOf(result));
        _durable.VerifyRaised(1);
    }
}
