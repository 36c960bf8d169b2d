using System.Text;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// Orchestration versioning on the in-process engine, set up as the host sets it from host.json: a job the first
/// release started (no version) replays the first release's steps on today's worker and completes; a job started
/// now is stamped with the current version and runs today's story.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class VersioningTests(Azurite azurite)
{
    [Fact]
    public async Task AJobWithoutAVersion_RunsTheFirstReleasesSteps_AndCompletes()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);

        string jobId = await StartUnversionedAsync(pipeline, PipelineProbes.Job("An old job, from before versioning"));
        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        var progress = JsonDocument.Parse(done.SerializedCustomStatus!).RootElement;
        Assert.Equal("completed", progress.GetProperty("Phase").GetString(), ignoreCase: true);
        Assert.False(progress.Has("Timeline"), "the first release kept no timeline: " + progress); // its steps, not today's
        Assert.Equal("completed", (await pipeline.GetStatusAsync(jobId)).Text("phase"));
        Assert.Single(pipeline.Fal.State.Submissions);
        Assert.Single(await pipeline.VideoBlobsAsync());
    }

    [Fact]
    public async Task AJobStartedByTheApp_IsStampedWithTheCurrentVersion_AndRunsTodaysStory()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A new job"));
        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        var timeline = (await pipeline.GetStatusAsync(jobId)).GetProperty("timeline").EnumerateArray().Select(p => p.GetProperty("phase").GetString()!.ToLowerInvariant()).ToList();
        Assert.Equal(["validating", "uploading", "submitting", "queued", "archiving", "completed"], timeline);
    }

    [Fact]
    public async Task AJobOfVersion20_StartedBeforeTheBump_CompletesOnItsOwnSteps()
    {
        // 2.0 waits for a status check and all its retries before it looks at a webhook that came meanwhile (2.1 does
        // not): a 2.0 instance on today's worker still does, so it replays the history its own steps recorded.
        const int attempts = 4;
        var clock = PipelineProbes.Clock();
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            PipelineProbes.OnClock(clock, WebhookDuringStatusOutageTests.Generation, FalEmulator.FaultRule.CallHttpError(FalEmulator.RequestKind.Status, 503, count: null)),
            WebhookDuringStatusOutageTests.StatusChecksRetrying(attempts, "00:00:00.300"));

        string jobId = await StartStampedAsync(pipeline, PipelineProbes.Job("A job started by 2.0"), new TaskVersion(VideoJobOrchestrator.Version20));
        await VeoFunctions.Testing.Poll.UntilAsync(() => pipeline.Fal.State.GetCount(FalEmulator.RequestKind.Status) >= 1, TimeSpan.FromSeconds(30), "the job's first status check");
        clock.Advance(WebhookDuringStatusOutageTests.Generation);
        var done = await pipeline.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2));

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        Assert.True(pipeline.Fal.State.GetCount(FalEmulator.RequestKind.Status) >= attempts, "2.0's wait let its status step run out of tries first");
        Assert.Equal("completed", (await pipeline.GetStatusAsync(jobId)).Text("phase"));
        Assert.Single(await pipeline.VideoBlobsAsync());
    }

    // The app's own starter, through a client that schedules as the first release's host did: with no version.
    private static Task<string> StartUnversionedAsync(Pipeline pipeline, object job) => StartStampedAsync(pipeline, job, TaskVersion.Unversioned);

    // The app's own starter, through a client that stamps the given version as that release's host did.
    private static async Task<string> StartStampedAsync(Pipeline pipeline, object job, TaskVersion version)
    {
        var services = pipeline.Functions.Services;
        byte[] body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(job));
        var draft = services.GetRequiredService<VideoRequestParser>().Parse(body).Draft!;
        var stamping = new Mock<DurableTaskClient>(MockBehavior.Strict, "stamping");
        stamping
            .Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .Returns((TaskName name, object? input, StartOrchestrationOptions? options, CancellationToken cancellation) =>
                pipeline.Client.ScheduleNewOrchestrationInstanceAsync(name, input, (options ?? new StartOrchestrationOptions()) with { Version = version }, cancellation));

        string jobId = JobScheduler.NewJobId();
        var outcome = await services.GetRequiredService<JobScheduler>().ScheduleAsync(stamping.Object, jobId, draft, JobScheduler.Fingerprint(body), callerChosenId: false, CancellationToken.None);
        Assert.Equal(ScheduleOutcome.Started, outcome);
        return jobId;
    }
}
