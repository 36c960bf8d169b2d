using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>What the user sees when their input, fal or the network goes wrong: a clear answer, no double billing.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class FailurePathTests(Azurite azurite)
{
    private static readonly string Png = TestImages.DataUri(TestImages.Png());

    private static object Job(string prompt = "A fox runs through snow", params string[] images) =>
        new { prompt, image_urls = images.Length > 0 ? images : [Png] };

    private static EmulatorOptions With(params FaultRule[] faults)
    {
        var options = new EmulatorOptions();
        foreach (var fault in faults)
        {
            options.Faults.Add(fault);
        }

        return options;
    }

    private static async Task<string> FailureOf(Pipeline pipeline, string jobId, bool expected = false)
    {
        var done = await pipeline.WaitForJobAsync(jobId);
        // An expected end (fal's verdict, a refused input) completes the orchestration; an unexpected one fails it.
        Assert.Equal(expected ? OrchestrationRuntimeStatus.Completed : OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("failed", status.GetProperty("phase").GetString());
        return status.GetProperty("error").GetString()!;
    }

    [Theory]
    [InlineData("""{"image_urls":["https://example.com/a.png"]}""", "prompt")]
    [InlineData("""{"prompt":"x","image_urls":[]}""", "image_urls")]
    [InlineData("""{"prompt":"x","image_urls":["https://example.com/a.png"],"aspect_ratio":"4:3"}""", "aspect_ratio")]
    [InlineData("""{"prompt":"x","image_urls":["data:image/png;base64,UEsDBBQAAAAIAA=="]}""", "image_urls[0]")]
    [InlineData("""{"prompt":"x","image_urls":["http://example.com/a.png"],"resolution":"720p"}""", "image_urls[0]")]
    [InlineData("""{"prompt":"x","image_urls":["https://metadata.google.internal/computeMetadata/v1/instance/"]}""", "image_urls[0]")]
    [InlineData("""{"prompt": "x", "image_urls": [""", "body")]
    public async Task BadInput_Answers400NamingTheField_AndStartsAndSpendsNothing(string body, string field)
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, settings: new Dictionary<string, string?> { ["Images:AllowHttp"] = "false" });

        using var response = await pipeline.Http.PostAsync("/api/videos", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name {field}: {problem}");
        Assert.All(pipeline.Fal.State.Counts.Values, count => Assert.Equal(0, count));
        Assert.Empty(await pipeline.Client.GetAllInstancesAsync().ToListAsync());
    }

    [Fact]
    public async Task ImageUrl_IsFetchedCheckedAndUploaded()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        string url = await HostImageAsync(pipeline, TestImages.Png(20, 10), "image/png");

        string jobId = await pipeline.StartJobAsync(Job(images: url));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(jobId)).RuntimeStatus);
        var submitted = JsonDocument.Parse(Assert.Single(pipeline.Fal.State.Submissions).InputJson).RootElement;
        string sent = submitted.GetProperty("image_urls")[0].GetString()!;
        Assert.NotEqual(url, sent); // re-uploaded to fal storage after the check, not passed through
        Assert.StartsWith(pipeline.Fal.BaseUrl + "/files/", sent);
    }

    [Fact]
    public async Task ImageUrl_ThatIsNotAnImage_FailsTheJobBeforeAnythingReachesFal()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        string url = await HostImageAsync(pipeline, "<html><body>hello</body></html>"u8.ToArray(), "image/png");

        string jobId = await pipeline.StartJobAsync(Job(images: url));

        string error = await FailureOf(pipeline, jobId, expected: true);
        Assert.Contains("Reference image 1", error);
        Assert.Equal(0, pipeline.Fal.State.GetCount(RequestKind.Submit));
    }

    [Fact]
    public async Task FalValidationError_FailsTheJobAtOnce_WithFalsDetail()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, With(FaultRule.SubmitValidationError("prompt", "Prompt contains a forbidden word")));

        string error = await FailureOf(pipeline, await pipeline.StartJobAsync(Job()), expected: true);

        Assert.Contains("Prompt contains a forbidden word", error);
        Assert.Contains("422", error);
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Submit));
    }

    [Fact]
    public async Task ErrorWebhook_FailsTheJob_WithFalsReason()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, With(FaultRule.Generation(FaultKind.GenerationError)));

        string error = await FailureOf(pipeline, await pipeline.StartJobAsync(Job()), expected: true);

        Assert.Contains("content_policy_violation", error);
        Assert.Equal(0, await CountBlobsAsync(pipeline));
    }

    [Fact]
    public async Task LostWebhook_FallsBackToPollingFalStatus_AndArchives()
    {
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            With(FaultRule.Generation(FaultKind.WebhookDrop)),
            new Dictionary<string, string?> { ["Jobs:FirstStatusCheck"] = "00:00:01", ["Jobs:MaxStatusCheckInterval"] = "00:00:02" });

        string jobId = await pipeline.StartJobAsync(Job());

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(jobId)).RuntimeStatus);
        Assert.Equal(1, await CountBlobsAsync(pipeline, ".mp4"));
        Assert.InRange(pipeline.Fal.State.GetCount(RequestKind.Status), 1, 5);
    }

    [Fact]
    public async Task CompletedWithError_WithoutWebhook_FailsTheJob_WithFalsErrorType()
    {
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            With(FaultRule.Generation(FaultKind.RunnerDisconnected), FaultRule.Generation(FaultKind.WebhookDrop)),
            new Dictionary<string, string?> { ["Jobs:FirstStatusCheck"] = "00:00:01" });

        string error = await FailureOf(pipeline, await pipeline.StartJobAsync(Job()), expected: true);

        Assert.Contains("runner_disconnected", error);
    }

    [Fact]
    public async Task WebhookWithoutPayload_FetchesTheResultFromTheQueue()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, With(FaultRule.Generation(FaultKind.WebhookPayloadError)));

        string jobId = await pipeline.StartJobAsync(Job());

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(jobId)).RuntimeStatus);
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Result));
    }

    [Fact]
    public async Task RateLimitedSubmit_IsRetried_AndBilledOnce()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, With(FaultRule.SubmitHttpError(429, count: 2)));

        string jobId = await pipeline.StartJobAsync(Job());

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(jobId)).RuntimeStatus);
        Assert.Equal(3, pipeline.Fal.State.GetCount(RequestKind.Submit));
        Assert.Single(pipeline.Fal.State.Submissions);
    }

    [Fact]
    public async Task SubmitWhoseAnswerWasLost_IsNeverResubmitted_AndIsAdoptedFromFalsWebhook()
    {
        // fal accepted the request, but answered 502 (with a request id): the outcome is unknown to us.
        await using var pipeline = await Pipeline.StartAsync(azurite, With(FaultRule.SubmitAcceptedThenHttpError(502, includeRequestIdHeader: true)));

        string jobId = await pipeline.StartJobAsync(Job());

        var done = await pipeline.WaitForJobAsync(jobId);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Submit));
        Assert.Equal(pipeline.Fal.State.Submissions[0].RequestId, (await pipeline.GetStatusAsync(jobId)).GetProperty("falRequestId").GetString());
        Assert.Equal(1, await CountBlobsAsync(pipeline, ".mp4"));
    }

    [Fact]
    public async Task SubmitWhoseAnswerWasLost_ButFalNeverTookIt_IsProvenAbsentByFalsList_AndSubmittedOnceMore()
    {
        // A 500 naming a request id that fal never queued: ambiguous to us, so not resubmitted blindly. fal's request
        // list (which shows a request once it ended) stays silent past the start deadline and the longest generation:
        // nothing was billed, so the job is submitted a second time.
        await using var pipeline = await Pipeline.StartAsync(
            azurite, With(FaultRule.SubmitHttpError(500, includeRequestIdHeader: true)),
            new Dictionary<string, string?> { ["Jobs:Deadline"] = "00:00:03", ["Jobs:FirstStatusCheck"] = "00:00:01" });

        string jobId = await pipeline.StartJobAsync(Job());

        var done = await pipeline.WaitForJobAsync(jobId);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        Assert.Equal(2, pipeline.Fal.State.GetCount(RequestKind.Submit));
        Assert.Single(pipeline.Fal.State.Submissions);
        Assert.True(pipeline.Fal.State.GetCount(RequestKind.PlatformRequests) >= 1);
        Assert.Contains("submitted again", (await pipeline.GetStatusAsync(jobId)).GetProperty("note").GetString());
        Assert.Equal(1, await CountBlobsAsync(pipeline, ".mp4"));
    }

    [Fact]
    public async Task JobPastItsDeadline_IsCancelledAtFal_AndFails()
    {
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            With(FaultRule.Generation(FaultKind.Stuck)),
            new Dictionary<string, string?> { ["Jobs:FirstStatusCheck"] = "00:00:01", ["Jobs:Deadline"] = "00:00:03" });

        string error = await FailureOf(pipeline, await pipeline.StartJobAsync(Job()));

        Assert.Contains("did not finish", error);
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Cancel));
    }

    [Fact]
    public async Task DeadlineReachedJustAfterFalFinished_ArchivesThePaidVideo_InsteadOfDroppingIt()
    {
        // fal finishes at ~1 s, its webhook is lost, the first status check would come after the deadline: at the
        // deadline the job looks before it cancels, finds fal done, and fetches and archives the finished video.
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            With(FaultRule.Generation(FaultKind.WebhookDrop)),
            new Dictionary<string, string?> { ["Jobs:FirstStatusCheck"] = "00:01:00", ["Jobs:Deadline"] = "00:00:03" });

        string jobId = await pipeline.StartJobAsync(Job());

        var done = await pipeline.WaitForJobAsync(jobId);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        Assert.Equal(0, pipeline.Fal.State.GetCount(RequestKind.Cancel)); // its status said it was done: nothing to cancel
        Assert.Equal(1, await CountBlobsAsync(pipeline, ".mp4"));
    }

    [Fact]
    public async Task SameIdempotencyKey_StartsOneJob_AndBillsOnce()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var body = Job();

        string first = await pipeline.StartJobAsync(body, idempotencyKey: "order-1234");
        string second = await pipeline.StartJobAsync(body, idempotencyKey: "order-1234");
        await pipeline.WaitForJobAsync(first);
        using var conflict = await pipeline.PostJobAsync(Job("A different prompt"), idempotencyKey: "order-1234");

        Assert.Equal(first, second);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, conflict.StatusCode); // the key reused with another body
        Assert.Single(pipeline.Fal.State.Submissions);
        Assert.Equal(1, await CountBlobsAsync(pipeline, ".mp4"));
    }

    [Fact]
    public async Task DuplicateWebhookDeliveries_AreAllAnswered2xx_AndCompleteOneJob_WithOneArchive()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, With(new FaultRule { Kind = FaultKind.WebhookDuplicate, Deliveries = 5, Count = 1 }));

        string jobId = await pipeline.StartJobAsync(Job());

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(jobId)).RuntimeStatus);
        await Poll.UntilAsync(() => pipeline.Fal.State.WebhookDeliveries.Select(d => d.Copy).Distinct().Count() == 5, Patience.Condition);
        Assert.All(pipeline.Fal.State.WebhookDeliveries, d => Assert.True(d.Succeeded, $"copy {d.Copy} got {d.StatusCode} {d.Error}"));
        Assert.Equal(1, await CountBlobsAsync(pipeline, ".mp4"));
        Assert.Single(pipeline.Fal.State.Submissions);
    }

    [Theory]
    [InlineData(RequestKind.UploadInitiate, 503, 4)]
    [InlineData(RequestKind.UploadPut, 502, 4)]
    [InlineData(RequestKind.FileGet, 503, 2)] // the video download: retried by the orchestration only (3 tries here)
    [InlineData(RequestKind.Result, 429, 4)]
    [InlineData(RequestKind.Status, 504, 4)]
    public async Task TransientFalErrors_AtAnyStep_AreRetried_AndTheJobCompletesBilledOnce(RequestKind step, int status, int failures)
    {
        // Result and status are only called on the polling path: drop the webhook for those.
        var options = With(FaultRule.CallHttpError(step, status, count: failures));
        if (step is RequestKind.Result or RequestKind.Status)
        {
            options.Faults.Add(FaultRule.Generation(FaultKind.WebhookDrop));
        }

        await using var pipeline = await Pipeline.StartAsync(azurite, options, new Dictionary<string, string?> { ["Jobs:FirstStatusCheck"] = "00:00:01" });

        string jobId = await pipeline.StartJobAsync(Job());

        var done = await pipeline.WaitForJobAsync(jobId);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        Assert.True(pipeline.Fal.State.GetCount(step) > failures, $"{step} should have been retried past the {failures} injected failures");
        Assert.Single(pipeline.Fal.State.Submissions);
        Assert.Equal(1, await CountBlobsAsync(pipeline, ".mp4"));
    }

    [Fact]
    public async Task FailingCancel_AtTheDeadline_DoesNotHideWhyTheJobFailed()
    {
        await using var pipeline = await Pipeline.StartAsync(
            azurite,
            With(FaultRule.Generation(FaultKind.Stuck), FaultRule.CallHttpError(RequestKind.Cancel, 500, count: null)),
            new Dictionary<string, string?> { ["Jobs:FirstStatusCheck"] = "00:00:01", ["Jobs:Deadline"] = "00:00:03" });

        string error = await FailureOf(pipeline, await pipeline.StartJobAsync(Job()));

        Assert.Contains("did not finish", error);
        Assert.True(pipeline.Fal.State.GetCount(RequestKind.Cancel) >= 1);
    }

    [Fact]
    public async Task LateWebhook_AfterThePollingFallbackFinished_IsAnswered200_AndChangesNothing()
    {
        // The webhook comes long after status polling archived the video. Through the host-like client an event for
        // the completed job would throw, as in the Functions host; the door must still answer 2xx, or fal retries for hours.
        await using var pipeline = await Pipeline.StartAsync(
            azurite, With(FaultRule.WebhookDelayed(TimeSpan.FromSeconds(4))), new Dictionary<string, string?> { ["Jobs:FirstStatusCheck"] = "00:00:01" });
        string jobId = await pipeline.StartJobAsync(Job());
        var done = await pipeline.WaitForJobAsync(jobId);
        Assert.Empty(pipeline.Fal.State.WebhookDeliveries);

        await Poll.UntilAsync(() => pipeline.Fal.State.WebhookDeliveries.Count > 0, Patience.Condition);

        var delivery = Assert.Single(pipeline.Fal.State.WebhookDeliveries);
        Assert.Equal(200, delivery.StatusCode);
        var after = await pipeline.Client.GetInstanceAsync(jobId, getInputsAndOutputs: true);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, after!.RuntimeStatus);
        Assert.Equal(done.SerializedOutput, after.SerializedOutput);
        Assert.Null(await pipeline.Client.GetInstanceAsync(Jobs.JobIds.SalvageIdFor(jobId)));
        Assert.Equal(1, await CountBlobsAsync(pipeline, ".mp4"));
    }

    [Fact]
    public async Task ConcurrentPostsWithOneIdempotencyKey_StartOneJob_AndBillOnce()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var body = Job();

        var ids = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => pipeline.StartJobAsync(body, idempotencyKey: "burst-key")));
        await pipeline.WaitForJobAsync(ids[0]);

        // Every start has answered: a second job, had one been started, would be listed now.
        Assert.Single(await pipeline.Client.GetAllInstancesAsync().ToListAsync());
        Assert.Single(ids.Distinct());
        Assert.Single(pipeline.Fal.State.Submissions);
        Assert.Equal(1, await CountBlobsAsync(pipeline, ".mp4"));
    }

    private static async Task<string> HostImageAsync(Pipeline pipeline, byte[] bytes, string contentType)
    {
        using var http = new HttpClient();
        using var initiate = new HttpRequestMessage(HttpMethod.Post, $"{pipeline.Fal.BaseUrl}/storage/upload/initiate?storage_type=fal-cdn-v3")
        {
            Content = JsonContent.Create(new { content_type = contentType, file_name = "ref.png" }),
        };
        initiate.Headers.Add("Authorization", "Key test");
        using var answer = await http.SendAsync(initiate);
        var target = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
        using var put = new ByteArrayContent(bytes);
        put.Headers.ContentType = new(contentType);
        (await http.PutAsync(target.GetProperty("upload_url").GetString(), put)).EnsureSuccessStatusCode();
        return target.GetProperty("file_url").GetString()!;
    }

    private static async Task<int> CountBlobsAsync(Pipeline pipeline, string suffix = "")
    {
        if (!await pipeline.Videos.ExistsAsync())
        {
            return 0;
        }

        int count = 0;
        await foreach (var blob in pipeline.Videos.GetBlobsAsync())
        {
            count += blob.Name.EndsWith(suffix, StringComparison.Ordinal) ? 1 : 0;
        }

        return count;
    }
}
