using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// A submit whose answer is lost is found, never resubmitted blindly: fal's webhook to the job's own URL or fal's
/// request list (the Platform API) names the request, and the job adopts and archives it. When neither can, the job
/// fails saying it did not submit again, and a delivery that comes later is still archived. No path submits twice.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class LostSubmitTests(Azurite azurite)
{
    // The request list cannot be read, so the job gives up on finding its request after Deadline + MaxGenerationTime + Deadline.
    private static readonly Dictionary<string, string?> GivingUpSoon = new(PipelineProbes.FrequentChecks())
    {
        ["Jobs:Deadline"] = "00:00:01",
        ["Jobs:MaxGenerationTime"] = "00:00:01",
    };

    private static FaultRule ListUnreadable() => FaultRule.CallHttpError(RequestKind.PlatformRequests, 403, count: null);

    [Theory]
    [InlineData(PlatformListingMode.Finished)]
    [InlineData(PlatformListingMode.Started)]
    public async Task LostSubmitAnswer_AndLostWebhook_IsFoundInFalsRequestList_AndArchived(PlatformListingMode listing)
    {
        var fal = PipelineProbes.Fal(FaultRule.SubmitAcceptedThenHttpError(500, includeRequestIdHeader: true), FaultRule.Generation(FaultKind.WebhookDrop));
        fal.PlatformListing = listing;
        await using var pipeline = await Pipeline.StartAsync(azurite, fal, PipelineProbes.FrequentChecks());

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A glacier calving"));

        await pipeline.AssertArchivedOnceAsync(jobId);
        Assert.True(pipeline.Fal.State.GetCount(RequestKind.PlatformRequests) >= 1);
        Assert.Contains(pipeline.Fal.State.WebhookDeliveries, d => d.Dropped);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GatewayErrorAfterTheBodyLeft_WithoutARequestId_IsNotResubmitted_AndTheRequestIsArchived(bool webhookLost)
    {
        // An edge in front of fal forwarded the submit and answered 502 without fal's request id: no proof fal took nothing.
        var fal = PipelineProbes.Fal(FaultRule.SubmitAcceptedThenHttpError(502, includeRequestIdHeader: false));
        if (webhookLost)
        {
            fal.Faults.Add(FaultRule.Generation(FaultKind.WebhookDrop));
        }

        await using var pipeline = await Pipeline.StartAsync(azurite, fal, PipelineProbes.FrequentChecks());

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A glacier at night"));

        await pipeline.AssertArchivedOnceAsync(jobId);
        Assert.Single(pipeline.Fal.State.Submissions);
    }

    [Fact]
    public async Task LostSubmitAnswer_WithTheRequestListUnreadable_AndNoWebhook_FailsWithoutSubmittingAgain()
    {
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            PipelineProbes.Fal(FaultRule.SubmitAcceptedThenHttpError(500, includeRequestIdHeader: true), FaultRule.Generation(FaultKind.WebhookDrop), ListUnreadable()),
            GivingUpSoon);
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A glacier in the dark"));

        var troubled = await pipeline.WaitForStatusAsync(jobId, s => s.Text("lastError")?.Contains("request list could not be read", StringComparison.Ordinal) == true);
        Assert.Contains("403", troubled.Text("lastError"));
        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("failed", status.Text("phase"));
        Assert.Contains("not submitted again", status.Text("error"));
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Submit));
        Assert.True(pipeline.Fal.State.GetCount(RequestKind.PlatformRequests) >= 1);
        Assert.Empty(await pipeline.VideoBlobsAsync());
    }

    [Fact]
    public async Task LostSubmitAnswer_WithTheRequestListUnreadable_IsSalvaged_WhenFalsWebhookComesAfterTheJobFailed()
    {
        var clock = PipelineProbes.Clock();
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            PipelineProbes.OnClock(clock, TimeSpan.Zero,
                FaultRule.SubmitAcceptedThenHttpError(500, includeRequestIdHeader: true), FaultRule.WebhookDelayed(TimeSpan.FromMinutes(1)), ListUnreadable()),
            GivingUpSoon);
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A glacier, late"));
        var ended = await pipeline.WaitForJobAsync(jobId);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, ended.RuntimeStatus);
        Assert.Contains("not submitted again", (await pipeline.GetStatusAsync(jobId)).Text("error"));

        clock.Advance(TimeSpan.FromMinutes(1));
        var salvage = await pipeline.WaitForSalvageAsync(jobId);

        Assert.True(salvage.RuntimeStatus == OrchestrationRuntimeStatus.Completed, salvage.FailureDetails?.ErrorMessage);
        Assert.Equal(200, Assert.Single(pipeline.Fal.State.WebhookDeliveries).StatusCode);
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("completed", status.Text("phase"));
        Assert.True(status.GetProperty("salvaged").GetBoolean());
        Assert.Equal(pipeline.TheSubmission().RequestId, status.Text("falRequestId"));
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Submit));
        Assert.Single(await pipeline.VideoBlobsAsync());
    }
}
