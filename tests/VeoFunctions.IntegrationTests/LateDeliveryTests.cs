using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// Every verified webhook is kept, whatever state its job is in, through a client that throws on events for ended
/// instances as the Functions host does: the door answers 2xx, and a video delivered after its job ended without it
/// is archived by one salvage run. fal runs on a clock the test moves, so the delivery comes after the job ended
/// because the test says so, not because the machine was fast.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class LateDeliveryTests(Azurite azurite)
{
    private static readonly TimeSpan Generation = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task VideoDeliveredAfterTheJobFailedAtItsDeadline_IsSalvagedOnce_HoweverManyCopiesArrive()
    {
        // fal keeps generating through the deadline and the cancel's grace (a cancel only signals Veo); it delivers
        // three concurrent copies of its webhook long after the job ended.
        var clock = PipelineProbes.Clock();
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            PipelineProbes.OnClock(clock, Generation, new FaultRule { Kind = FaultKind.WebhookDuplicate, Deliveries = 3, Count = 1 }),
            new Dictionary<string, string?> { ["Jobs:Deadline"] = "00:00:02", ["Jobs:FirstStatusCheck"] = "00:00:00.500", ["Jobs:CancelGrace"] = "00:00:01" });
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A comet over the harbour"));
        var ended = await pipeline.WaitForJobAsync(jobId);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, ended.RuntimeStatus);
        Assert.Contains("did not finish", (await pipeline.GetStatusAsync(jobId)).Text("error"));
        Assert.Empty(pipeline.Fal.State.WebhookDeliveries);

        clock.Advance(Generation);
        await Poll.UntilAsync(() => pipeline.Fal.State.WebhookDeliveries.Count == 3);
        var salvage = await pipeline.WaitForSalvageAsync(jobId);

        Assert.All(pipeline.Fal.State.WebhookDeliveries, d => Assert.Equal(200, d.StatusCode));
        Assert.True(salvage.RuntimeStatus == OrchestrationRuntimeStatus.Completed, salvage.FailureDetails?.ErrorMessage);
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("completed", status.Text("phase"));
        Assert.True(status.GetProperty("salvaged").GetBoolean());
        Assert.True(status.Has("video"), status.ToString());
        Assert.Null(status.Text("error"));
        Assert.Contains("fal delivered the video afterwards", status.Text("note"));
        Assert.Single(await pipeline.VideoBlobsAsync());
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.FileGet)); // one archive: the video was downloaded once
        Assert.Equal(2, (await pipeline.Client.GetAllInstancesAsync().ToListAsync()).Count); // the job and its one salvage run
        Assert.Equal(salvage.CreatedAt, (await pipeline.Client.GetInstanceAsync(JobIds.SalvageIdFor(jobId)))!.CreatedAt); // never replaced
        Assert.Single(pipeline.Fal.State.Submissions);
    }

    [Fact]
    public async Task ASalvagedVideo_IsVisibleToStatusDownloadAndResume_WhileTheEndedJobStillSettles()
    {
        // The job ends failed at its deadline and then settles its cost for an hour (fal's billing has not booked the
        // request); fal delivers meanwhile, the salvage run's downloads fail until the CDN is back.
        const string adminKey = "admin-id:admin-secret";
        var clock = PipelineProbes.Clock();
        var fal = PipelineProbes.OnClock(clock, Generation);
        fal.AdminKey = adminKey;
        fal.BillingDelay = TimeSpan.FromDays(1);
        await using var pipeline = await Pipeline.StartAsync(azurite, fal, new Dictionary<string, string?>
        {
            ["Jobs:Deadline"] = "00:00:02", ["Jobs:FirstStatusCheck"] = "00:00:00.500", ["Jobs:CancelGrace"] = "00:00:01",
            ["Fal:AdminKey"] = adminKey, ["Money:BillingHorizon"] = "01:00:00", ["Money:BillingFirstRecheck"] = "00:00:00.200",
        });
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A comet over the bay"));
        Assert.Equal("failed", (await pipeline.WaitForStatusAsync(jobId, s => s.Text("phase") == "failed")).Text("phase"));

        string cdnDown = pipeline.Fal.State.AddFault(FaultRule.CallHttpError(RequestKind.FileGet, 503, count: null));
        clock.Advance(Generation);
        await pipeline.WaitForSalvageStartAsync(jobId);
        await Poll.UntilAsync(async () => (await pipeline.GetStatusAsync(jobId)) is var s && s.Text("phase") == "archiving" && s.Has("lastError"), TimeSpan.FromSeconds(60));

        using var resume = await pipeline.Http.PostAsync($"/api/videos/{jobId}/resume", null);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, resume.StatusCode);
        pipeline.Fal.State.RemoveFault(cdnDown);
        var status = await pipeline.WaitForStatusAsync(jobId, s => s.Has("video"), TimeSpan.FromSeconds(60));

        Assert.Equal("completed", status.Text("phase"));
        Assert.True(status.GetProperty("salvaged").GetBoolean());
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = pipeline.Functions.BaseUrl };
        using var video = await noRedirects.GetAsync($"/api/videos/{jobId}/video");
        Assert.Equal(System.Net.HttpStatusCode.Redirect, video.StatusCode);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await pipeline.Client.GetInstanceAsync(jobId))!.RuntimeStatus); // still settling
        Assert.Single(await pipeline.VideoBlobsAsync());
    }

    [Fact]
    public async Task LateWebhook_AfterTheStatusChecksCompletedTheJob_IsAnswered200_AndStartsNoSalvage()
    {
        // fal finishes at once, its webhook comes a minute later (fal's clock): the status fallback archives first.
        var clock = PipelineProbes.Clock();
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            PipelineProbes.OnClock(clock, TimeSpan.Zero, FaultRule.WebhookDelayed(TimeSpan.FromMinutes(1))),
            new Dictionary<string, string?> { ["Jobs:FirstStatusCheck"] = "00:00:00.300" });
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A comet at noon"));
        var done = await pipeline.WaitForJobAsync(jobId);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        Assert.Empty(pipeline.Fal.State.WebhookDeliveries);

        clock.Advance(TimeSpan.FromMinutes(1));
        await Poll.UntilAsync(() => pipeline.Fal.State.WebhookDeliveries.Count > 0);

        var delivery = Assert.Single(pipeline.Fal.State.WebhookDeliveries);
        Assert.Equal(200, delivery.StatusCode);
        var after = await pipeline.Client.GetInstanceAsync(jobId, getInputsAndOutputs: true);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, after!.RuntimeStatus);
        Assert.Equal(done.SerializedOutput, after.SerializedOutput);
        Assert.Null(await pipeline.Client.GetInstanceAsync(JobIds.SalvageIdFor(jobId)));
        Assert.False((await pipeline.GetStatusAsync(jobId)).GetProperty("salvaged").GetBoolean());
        Assert.Single(await pipeline.VideoBlobsAsync());
    }

    [Fact]
    public async Task GatewayRetriedRequest_WhoseSignedHeaderCarriesTheGatewayId_CompletesThroughItsWebhook()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.Fal(FaultRule.GatewayRetried(gatewayIdInHeader: true)));
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A comet retried"));

        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        var submission = pipeline.TheSubmission();
        var delivery = Assert.Single(pipeline.Fal.State.WebhookDeliveries);
        Assert.NotEqual(submission.RequestId, delivery.HeaderRequestId);
        Assert.Equal(submission.GatewayRequestId, delivery.HeaderRequestId);
        Assert.Equal(200, delivery.StatusCode);
        Assert.Equal(0, pipeline.Fal.State.GetCount(RequestKind.Status)); // the webhook did it, not the fallback
        Assert.Equal(submission.RequestId, (await pipeline.GetStatusAsync(jobId)).Text("falRequestId"));
        Assert.Single(await pipeline.VideoBlobsAsync());
    }
}
