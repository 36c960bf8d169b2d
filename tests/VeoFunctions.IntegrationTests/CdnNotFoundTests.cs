using System.Net;
using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// A 404 from fal's CDN is not the end of a paid video: the step retries it with backoff, then the next round reads
/// fal's result again for the video's URL; only <c>Jobs:VideoNotFoundRounds</c> such rounds make the result count as gone.
/// Even then fal keeps the result: <c>POST …/resume</c> archives it through the job's salvage run.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class CdnNotFoundTests(Azurite azurite)
{
    [Fact]
    public async Task ACdnThat404sForAWhile_IsRetried_AndFalsResultReadAgain_ThenTheVideoIsArchived()
    {
        // The step's three tries all 404, and the first of the next round: the round after reads fal's result again.
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.Fal(FaultRule.CallHttpError(RequestKind.FileGet, 404, count: 4)));

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A pier in the rain"));
        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        Assert.Single(await pipeline.VideoBlobsAsync());
        Assert.Equal(5, pipeline.Fal.State.GetCount(RequestKind.FileGet));
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Result)); // confirmed against fal's result API
        Assert.Equal("completed", (await pipeline.GetStatusAsync(jobId)).Text("phase"));
    }

    [Fact]
    public async Task ACdnThatKeeps404ing_MakesTheResultCountAsGone_AfterItsRounds()
    {
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            PipelineProbes.Fal(FaultRule.CallHttpError(RequestKind.FileGet, 404, count: null)),
            new Dictionary<string, string?> { ["Jobs:VideoNotFoundRounds"] = "2" });

        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A pier in the fog"));
        var done = await pipeline.WaitForJobAsync(jobId);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("failed", status.Text("phase"));
        Assert.Contains("counts as gone", status.Text("error"));
        Assert.Equal(6, pipeline.Fal.State.GetCount(RequestKind.FileGet)); // two rounds of the step's three tries
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Result)); // fal's result read again between them
        Assert.Empty(await pipeline.VideoBlobsAsync());
    }

    [Fact]
    public async Task AVideoThatCountedAsGone_IsArchivedByResume_FromFalsResult_WithOneSubmission()
    {
        // Two rounds of the step's three tries all 404: the job ends failed, its video counted as gone. Then the CDN is back.
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            PipelineProbes.Fal(FaultRule.CallHttpError(RequestKind.FileGet, 404, count: 6)),
            new Dictionary<string, string?> { ["Jobs:VideoNotFoundRounds"] = "2" });
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A pier at low tide"));
        Assert.Equal(OrchestrationRuntimeStatus.Failed, (await pipeline.WaitForJobAsync(jobId)).RuntimeStatus);
        Assert.Contains($"POST /api/videos/{jobId}/resume", (await pipeline.GetStatusAsync(jobId)).Text("error"));

        var status = await pipeline.ResumeIntoSalvageAsync(jobId);

        Assert.Equal(2, pipeline.Fal.State.GetCount(RequestKind.Result)); // the job's re-read between its rounds, and the resume's
        var archived = (await pipeline.Videos.GetBlobClient(status.GetProperty("video").GetProperty("blobName").GetString()).DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(await pipeline.FalsVideoAsync(), archived);

        // The job has its one salvage run: resuming it again finds nothing to resume.
        using var again = await pipeline.Http.PostAsync($"/api/videos/{jobId}/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task AResumeMadeWhileTheCdnStill404s_CanBeFollowedByAnother_ThatArchivesTheVideo_WithOneSubmission()
    {
        // The job's two rounds of three tries 404, and so do the first resume's: that resume came too early.
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            PipelineProbes.Fal(FaultRule.CallHttpError(RequestKind.FileGet, 404, count: 12)),
            new Dictionary<string, string?> { ["Jobs:VideoNotFoundRounds"] = "2", ["Callbacks:SigningSecret"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });
        string jobId = await pipeline.StartJobAsync(new { prompt = "A pier under snow", image_urls = new[] { TestImages.DataUri(TestImages.Png()) }, callback_url = receiver.Url("/ends").AbsoluteUri });
        Assert.Equal(OrchestrationRuntimeStatus.Failed, (await pipeline.WaitForJobAsync(jobId)).RuntimeStatus);
        using (var early = await pipeline.Http.PostAsync($"/api/videos/{jobId}/resume", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, early.StatusCode);
        }

        Assert.Equal(OrchestrationRuntimeStatus.Failed, (await pipeline.WaitForSalvageAsync(jobId)).RuntimeStatus);
        var failed = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("failed", failed.Text("phase"));
        Assert.Contains($"POST /api/videos/{jobId}/resume", failed.Text("error"));

        // The CDN is back: the next resume archives fal's video; fal was paid once.
        var status = await pipeline.ResumeIntoSalvageAsync(jobId, round: 2);

        Assert.Equal(12, pipeline.Fal.State.GetCount(RequestKind.FileGet) - 1);
        var archived = (await pipeline.Videos.GetBlobClient(status.GetProperty("video").GetProperty("blobName").GetString()).DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(await pipeline.FalsVideoAsync(), archived);
        using var again = await pipeline.Http.PostAsync($"/api/videos/{jobId}/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Null(await pipeline.Client.GetInstanceAsync(JobIds.SalvageIdFor(jobId, 3)));

        // The job's end, the failed round's and the archiving round's: each its own event, so none is dropped as a repeat.
        await Poll.UntilAsync(() => receiver.Received.Count >= 3, Patience.Condition, "the three end callbacks");
        Assert.Equal(3, receiver.Received.Select(callback => callback.Header("webhook-id")).Distinct().Count());
    }

    [Fact]
    public async Task AJobThatFailedForAnotherReason_IsNotResumed()
    {
        // fal's generation failed: there is no video to archive.
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.Fal(FaultRule.Generation(FaultKind.GenerationError)));
        string jobId = await pipeline.StartJobAsync(PipelineProbes.Job("A pier in a storm"));
        await pipeline.WaitForJobAsync(jobId);
        Assert.Equal("failed", (await pipeline.GetStatusAsync(jobId)).Text("phase"));

        using var resume = await pipeline.Http.PostAsync($"/api/videos/{jobId}/resume", null);

        Assert.Equal(HttpStatusCode.Conflict, resume.StatusCode);
        Assert.Null(await pipeline.Client.GetInstanceAsync(JobIds.SalvageIdFor(jobId)));
    }
}
