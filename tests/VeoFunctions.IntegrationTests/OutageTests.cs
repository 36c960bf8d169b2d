using System.Net;
using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs.Activities;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// Once fal has accepted a request, the job keeps trying to get its video: an outage of fal's status or result API,
/// or of its CDN, longer than a step's retries shows as the job's <c>lastError</c> and ends when the outage does.
/// Each outage is a fault the test removes once it has seen the job working through it.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class OutageTests(Azurite azurite)
{
    [Fact]
    public async Task StatusOutage_WhileTheWebhookIsLost_ShowsAsLastError_AndTheJobCompletesOnceItEnds()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.Fal(FaultRule.Generation(FaultKind.WebhookDrop)), PipelineProbes.FrequentChecks());
        string outage = pipeline.Fal.State.AddFault(FaultRule.CallHttpError(RequestKind.Status, 503, count: null));
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A lighthouse in a storm"));

        var troubled = await pipeline.WaitForStatusAsync(jobId, s => s.Text("lastError") is not null);
        Assert.Contains("fal's status could not be read", troubled.Text("lastError"));
        Assert.Contains(nameof(CheckFalStatus), troubled.Text("lastError"));
        Assert.Contains(troubled.Text("phase"), new[] { "queued", "generating" });

        // The wait goes on: another round of status checks, still running, still not failed.
        long checks = pipeline.Fal.State.GetCount(RequestKind.Status);
        await Poll.UntilAsync(() => pipeline.Fal.State.GetCount(RequestKind.Status) > checks);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await pipeline.Client.GetInstanceAsync(jobId))!.RuntimeStatus);

        Assert.True(pipeline.Fal.State.RemoveFault(outage));

        await pipeline.AssertArchivedOnceAsync(jobId);
    }

    [Fact]
    public async Task ResultOutage_AfterFalSaidItIsDone_KeepsTheJobArchiving_AndTheJobCompletesOnceItEnds()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.Fal(FaultRule.Generation(FaultKind.WebhookDrop)), PipelineProbes.FrequentChecks());
        string outage = pipeline.Fal.State.AddFault(FaultRule.CallHttpError(RequestKind.Result, 503, count: null));
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A lighthouse at dawn"));

        var troubled = await pipeline.WaitForStatusAsync(jobId, s => s.Text("lastError") is not null);
        Assert.Equal("archiving", troubled.Text("phase"));
        Assert.Contains(nameof(FetchFalResult), troubled.Text("lastError"));
        Assert.Equal(pipeline.TheSubmission().RequestId, troubled.Text("falRequestId"));

        Assert.True(pipeline.Fal.State.RemoveFault(outage));

        await pipeline.AssertArchivedOnceAsync(jobId);
    }

    [Fact]
    public async Task CdnOutage_LongerThanTheArchiveStepsRetries_KeepsTheJobArchiving_AndTheJobCompletesOnceItEnds()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        string outage = pipeline.Fal.State.AddFault(FaultRule.CallHttpError(RequestKind.FileGet, 503, count: null));
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A lighthouse at noon"));

        var troubled = await pipeline.WaitForStatusAsync(jobId, s => s.Text("lastError") is not null);
        Assert.Equal("archiving", troubled.Text("phase"));
        Assert.Contains(nameof(ArchiveVideo), troubled.Text("lastError"));
        Assert.Contains("tried again", troubled.Text("lastError"));

        // More rounds than one step's retries (3 here): the job is still at it.
        await Poll.UntilAsync(() => pipeline.Fal.State.GetCount(RequestKind.FileGet) > 6);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await pipeline.Client.GetInstanceAsync(jobId))!.RuntimeStatus);

        Assert.True(pipeline.Fal.State.RemoveFault(outage));

        await pipeline.AssertArchivedOnceAsync(jobId);
    }

    [Fact]
    public async Task CdnOutage_PastTheArchiveHorizon_ParksTheJob_UntilItIsResumedOverHttp()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, settings: new Dictionary<string, string?> { ["Jobs:ArchiveHorizon"] = "00:00:00.100" });
        string outage = pipeline.Fal.State.AddFault(FaultRule.CallHttpError(RequestKind.FileGet, 503, count: null));
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A lighthouse at dusk"));

        var parked = await pipeline.WaitForStatusAsync(jobId, s => s.Text("lastError")?.Contains("resume", StringComparison.Ordinal) == true);
        Assert.Equal("archiving", parked.Text("phase"));
        Assert.Contains($"POST /api/videos/{jobId}/resume", parked.Text("lastError"));

        Assert.True(pipeline.Fal.State.RemoveFault(outage));
        using var resume = await pipeline.Http.PostAsync($"/api/videos/{jobId}/resume", null);
        Assert.Equal(HttpStatusCode.Accepted, resume.StatusCode);
        await pipeline.AssertArchivedOnceAsync(jobId);

        using var notArchiving = await pipeline.Http.PostAsync($"/api/videos/{jobId}/resume", null);
        using var unknown = await pipeline.Http.PostAsync("/api/videos/nosuchjob/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, notArchiving.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task StalledVideoStream_IsCutByTheIdleTimeout_AndRetried_AndTheArchiveHasFalsBytes()
    {
        var emulator = PipelineProbes.Fal(FaultRule.StalledFile(bytes: 64 * 1024, count: 1));
        emulator.VideoPaddingBytes = 1024 * 1024; // well past what the stalled answer sends
        await using var pipeline = await Pipeline.StartAsync(azurite, emulator, new Dictionary<string, string?> { ["Archive:IdleTimeout"] = "00:00:01" });
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A lighthouse in fog"));

        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        Assert.Equal(2, pipeline.Fal.State.GetCount(RequestKind.FileGet)); // the stalled download, then the whole one
        string blobName = Assert.Single(await pipeline.VideoBlobsAsync());
        var archived = (await pipeline.Videos.GetBlobClient(blobName).DownloadContentAsync()).Value.Content.ToArray();
        using var raw = new HttpClient();
        string falUrl = System.Text.Json.JsonDocument.Parse(pipeline.TheSubmission().OutputJson!).RootElement.GetProperty("video").GetProperty("url").GetString()!;
        Assert.Equal(await raw.GetByteArrayAsync(falUrl), archived);
    }
}
