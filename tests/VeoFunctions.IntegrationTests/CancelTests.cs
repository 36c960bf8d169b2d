using System.Net;
using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// A cancel means what fal says. For a partner model like Veo a cancel of a running request is only a request: the
/// job waits, bounded, for fal's last word, archives a video fal still delivers (and bills), and shows a caller's
/// cancel as its own phase with a note on what was spent. fal runs on a clock the test moves, so "while generating"
/// and "while queued" hold however slow the machine is.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class CancelTests(Azurite azurite)
{
    private static readonly TimeSpan Generation = TimeSpan.FromMinutes(1);

    // fal's last word comes when the test moves its clock: the grace must not run out first.
    private static readonly Dictionary<string, string?> LongGrace = new() { ["Jobs:CancelGrace"] = "00:01:00" };

    private static async Task CancelAsync(Pipeline pipeline, string jobId)
    {
        using var cancel = await pipeline.Http.PostAsync($"/api/videos/{jobId}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
    }

    [Fact]
    public async Task CancelWhileGenerating_WhenFalOnlySignalsIt_ArchivesTheVideoFalStillBilled_AsCancelled()
    {
        var clock = PipelineProbes.Clock();
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.OnClock(clock, Generation), LongGrace);
        Assert.Equal(CancelInProgressMode.Signal, pipeline.Fal.State.Options.CancelInProgress);
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A kite over the dunes"));
        await Poll.UntilAsync(() => pipeline.Fal.State.Submissions is [{ StartedAt: not null }]);

        await CancelAsync(pipeline, jobId);
        await Poll.UntilAsync(() => pipeline.TheSubmission().CancelRequested);
        clock.Advance(Generation); // Veo ignores the signal and finishes
        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("cancelled", status.Text("phase"));
        Assert.True(status.Has("video"), status.ToString());
        Assert.Null(status.Text("error"));
        Assert.Contains("billed", status.Text("note"));
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Cancel));
        Assert.True(pipeline.TheSubmission().Billed);
        Assert.Single(await pipeline.VideoBlobsAsync());
    }

    [Fact]
    public async Task CancelWhileGenerating_WhenFalStopsIt_EndsCancelled_WithFalsReason_AndNoVideo()
    {
        var clock = PipelineProbes.Clock();
        var fal = PipelineProbes.OnClock(clock, Generation);
        fal.CancelInProgress = CancelInProgressMode.Stop;
        await using var pipeline = await Pipeline.StartAsync(azurite, fal, LongGrace);
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A kite in the rain"));
        await Poll.UntilAsync(() => pipeline.Fal.State.Submissions is [{ StartedAt: not null }]);

        await CancelAsync(pipeline, jobId);
        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus); // a cancel is an expected end
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("cancelled", status.Text("phase"));
        Assert.False(status.Has("video"));
        Assert.Contains("cancelled by its caller", status.Text("error"));
        Assert.Contains("cancelled by the client", status.Text("error")); // fal's own word for client_cancelled
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Cancel));
        Assert.Equal("client_cancelled", pipeline.TheSubmission().ErrorType);
        Assert.False(pipeline.TheSubmission().Billed);
        Assert.Empty(await pipeline.VideoBlobsAsync());
    }

    [Fact]
    public async Task CancelWhileQueuedAtFal_EndsCancelled_SayingNothingIsBilled()
    {
        var clock = PipelineProbes.Clock();
        var fal = PipelineProbes.OnClock(clock, Generation);
        fal.QueueTime = TimeSpan.FromMinutes(10);
        await using var pipeline = await Pipeline.StartAsync(azurite, fal, LongGrace);
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A kite in a cupboard"));
        await Poll.UntilAsync(() => pipeline.Fal.State.Submissions.Count == 1);

        await CancelAsync(pipeline, jobId);
        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus); // a cancel is an expected end
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("cancelled", status.Text("phase"));
        Assert.Contains("nothing is billed", status.Text("note"));
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Cancel));
        Assert.Null(pipeline.TheSubmission().StartedAt);
        Assert.False(pipeline.TheSubmission().Billed);
    }

    [Fact]
    public async Task Deadline_WhenFalOnlySignalsTheCancel_AndNeverFinishes_FailsAfterTheGrace_SayingFalDidNotFinish()
    {
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            PipelineProbes.Fal(FaultRule.Generation(FaultKind.Stuck)),
            new Dictionary<string, string?> { ["Jobs:Deadline"] = "00:00:02", ["Jobs:FirstStatusCheck"] = "00:00:00.500", ["Jobs:CancelGrace"] = "00:00:01" });
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A kite stuck in a tree"));

        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("failed", status.Text("phase"));
        Assert.Contains("did not finish", status.Text("error"));
        Assert.Contains("had not said how it ended after 1 second", status.Text("error"));
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Cancel));
        Assert.True(pipeline.TheSubmission().CancelRequested);
        Assert.Equal("IN_PROGRESS", pipeline.TheSubmission().Status); // the signal did not stop it
    }
}
