using System.Net;
using System.Text.Json;
using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>Cancel and list, end to end.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class JobControlTests(Azurite azurite)
{
    private static object Job(string prompt = "A heron lands on a pier") => new { prompt, image_urls = new[] { TestImages.DataUri(TestImages.Png()) } };

    [Fact]
    public async Task CancelWhileFalGenerates_CancelsAtFal_AndFailsTheJobSayingSo()
    {
        var emulator = new EmulatorOptions();
        emulator.Faults.Add(FaultRule.Generation(FaultKind.Stuck));
        await using var pipeline = await Pipeline.StartAsync(azurite, emulator);
        string jobId = await pipeline.StartJobAsync(Job());
        await Poll.UntilAsync(() => pipeline.Fal.State.Submissions.Count == 1);

        using var cancel = await pipeline.Http.PostAsync($"/api/videos/{jobId}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var done = await pipeline.WaitForJobAsync(jobId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus); // a cancel is an expected end
        Assert.Contains("cancelled by its caller", (await pipeline.GetStatusAsync(jobId)).GetProperty("error").GetString());
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Cancel));
    }

    [Fact]
    public async Task CancelAfterFalFinished_ButBeforeItsWebhookArrived_StillArchivesThePaidVideo()
    {
        var emulator = new EmulatorOptions();
        emulator.Faults.Add(FaultRule.Generation(FaultKind.WebhookDrop));
        await using var pipeline = await Pipeline.StartAsync(azurite, emulator);
        string jobId = await pipeline.StartJobAsync(Job());
        await Poll.UntilAsync(() => pipeline.Fal.State.Submissions is [{ CompletedAt: not null }]);

        using var cancel = await pipeline.Http.PostAsync($"/api/videos/{jobId}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var done = await pipeline.WaitForJobAsync(jobId);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        Assert.Equal("completed", (await pipeline.GetStatusAsync(jobId)).GetProperty("phase").GetString());
    }

    [Fact]
    public async Task CancelBeforeSubmit_SpendsNothing()
    {
        // A slow image host holds the job in its first phase while the cancel arrives.
        await using var pipeline = await Pipeline.StartAsync(azurite, new EmulatorOptions());
        pipeline.Fal.State.AddFault(FaultRule.CallHttpError(RequestKind.UploadInitiate, 503, count: 6));
        string jobId = await pipeline.StartJobAsync(Job());

        using var cancel = await pipeline.Http.PostAsync($"/api/videos/{jobId}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var done = await pipeline.WaitForJobAsync(jobId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus); // a cancel is an expected end
        Assert.Contains("nothing was spent", (await pipeline.GetStatusAsync(jobId)).GetProperty("error").GetString());
        Assert.Equal(0, pipeline.Fal.State.GetCount(RequestKind.Submit));
    }

    [Fact]
    public async Task Cancel_AnswersNotFoundForUnknownJobs_AndConflictForEndedOnes()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        string jobId = await pipeline.StartJobAsync(Job());
        await pipeline.WaitForJobAsync(jobId);

        using var unknown = await pipeline.Http.PostAsync("/api/videos/doesnotexist/cancel", null);
        using var ended = await pipeline.Http.PostAsync($"/api/videos/{jobId}/cancel", null);

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, ended.StatusCode);
    }

    [Fact]
    public async Task List_ReturnsJobsNewestFirst_InPages()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            ids.Add(await pipeline.StartJobAsync(Job($"Job number {i}")));
            await Task.Delay(20);
        }

        foreach (string id in ids)
        {
            await pipeline.WaitForJobAsync(id);
        }

        var all = JsonDocument.Parse(await pipeline.Http.GetStringAsync("/api/videos?top=10")).RootElement;
        var listed = all.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("jobId").GetString()).ToList();
        using var bad = await pipeline.Http.GetAsync("/api/videos?top=0");

        Assert.Equal(Enumerable.Reverse(ids), listed);
        Assert.All(all.GetProperty("jobs").EnumerateArray(), j => Assert.Equal("completed", j.GetProperty("phase").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task List_AnswersAGarbageContinuationToken_WithoutAServerError()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);

        using var response = await pipeline.Http.GetAsync("/api/videos?continuationToken=%00not-a-token%FF");

        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"got {(int)response.StatusCode}");
    }
}
