using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Primitives;
using StandardWebhooks;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// Signed callbacks from both doors (an HTTP body's and a manifest's <c>callback_url</c>) to a receiver on real Kestrel,
/// the whole job on real parts: verified by a Standard Webhooks verifier written from the specification and by the
/// <c>StandardWebhooks</c> package, retried under one <c>webhook-id</c>, refused at the door for private addresses, and
/// never able to change how the job ended.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class CallbackTests(Azurite azurite) : IAsyncLifetime
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private const int Attempts = 4;

    private static readonly string Png = TestImages.DataUri(TestImages.Png());

    private CallbackReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await CallbackReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private Task<Pipeline> StartPipelineAsync() => Pipeline.StartAsync(azurite, settings: new Dictionary<string, string?>
    {
        ["Callbacks:SigningSecret"] = Secret,
        ["Jobs:CallbackFirstRetryInterval"] = "00:00:00.100",
        ["Jobs:CallbackAttempts"] = $"{Attempts}",
    });

    private JsonObject Job(string path, string? events = null)
    {
        var job = new JsonObject { ["prompt"] = "A fox runs through fresh snow", ["image_urls"] = new JsonArray(Png), ["callback_url"] = _receiver.Url(path).AbsoluteUri };
        if (events is not null)
        {
            job["callback_events"] = events;
        }

        return job;
    }

    /// <summary>Starts the job through the door named, and waits for it to end (its end callback is its last step).</summary>
    private static async Task<(string JobId, OrchestrationMetadata Done)> RunAsync(Pipeline pipeline, string door, JsonObject job)
    {
        string jobId;
        if (door == "http")
        {
            jobId = await pipeline.StartJobAsync(job);
        }
        else
        {
            var manifests = await ManifestDoor.OpenAsync(pipeline);
            string name = $"callbacks/{Guid.NewGuid():N}.json";
            await manifests.DropAndDeliverAsync(name, job);
            jobId = (await manifests.ReadResultAsync(name))!.Value.GetProperty("jobs")[0].GetProperty("jobId").GetString()!;
        }

        return (jobId, await pipeline.WaitForJobAsync(jobId));
    }

    /// <summary>Verifies a callback both ways: the verifier from the spec, and the StandardWebhooks package (which throws).</summary>
    private static void AssertSigned(ReceivedCallback callback)
    {
        Assert.Null(StandardWebhooksSpec.Problem(Secret, callback.Header("webhook-id"), callback.Header("webhook-timestamp"), callback.Header("webhook-signature"), callback.Body, DateTimeOffset.UtcNow));
        Assert.NotNull(StandardWebhooksSpec.Problem(Secret, callback.Header("webhook-id"), callback.Header("webhook-timestamp"), callback.Header("webhook-signature"), [.. callback.Body, (byte)' '], DateTimeOffset.UtcNow));
        var headers = new HeaderDictionary(callback.Headers.ToDictionary(h => h.Key, h => new StringValues(h.Value)));
        new StandardWebhook(Secret).Verify(Encoding.UTF8.GetString(callback.Body), headers);
    }

    private static JsonElement Body(ReceivedCallback callback) => JsonDocument.Parse(callback.Body).RootElement;

    [Theory]
    [InlineData("http")]
    [InlineData("manifest")]
    public async Task TheJobsEnd_IsPostedToItsCallbackUrl_AsItsStatusDocument_SignedByStandardWebhooks(string door)
    {
        await using var pipeline = await StartPipelineAsync();

        var (jobId, done) = await RunAsync(pipeline, door, Job("/hook"));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        var callback = Assert.Single(_receiver.Received);
        Assert.Equal("POST", callback.Method);
        Assert.StartsWith("application/json", callback.Header("content-type"), StringComparison.Ordinal);
        Assert.StartsWith("v1,", callback.Header("webhook-signature"), StringComparison.Ordinal);
        AssertSigned(callback);
        var body = Body(callback);
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal(jobId, body.GetProperty("jobId").GetString());
        Assert.Equal("completed", body.GetProperty("phase").GetString());
        Assert.Equal(status.GetProperty("video").GetProperty("blobName").GetString(), body.GetProperty("video").GetProperty("blobName").GetString());
        Assert.Equal(status.GetProperty("falRequestId").GetString(), body.GetProperty("falRequestId").GetString());
    }

    [Theory]
    [InlineData("http")]
    [InlineData("manifest")]
    public async Task AReceiverThatFailsAtFirst_IsTriedAgainUnderTheSameWebhookId_UntilItTakesTheCallback(string door)
    {
        await using var pipeline = await StartPipelineAsync();
        _receiver.Answer(500, 503, 204);

        var (jobId, done) = await RunAsync(pipeline, door, Job("/hook"));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        var attempts = _receiver.Received;
        Assert.Equal(3, attempts.Count); // and no fourth: the third was taken, though a fourth attempt was allowed
        Assert.Single(attempts.Select(a => a.Header("webhook-id")).Distinct());
        Assert.All(attempts, AssertSigned);
        Assert.All(attempts, a => Assert.Equal(jobId, Body(a).GetProperty("jobId").GetString()));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("manifest")]
    public async Task AReceiverThatFailsForever_IsGivenUpAfterItsAttempts_AndTheJobStillCompleted(string door)
    {
        await using var pipeline = await StartPipelineAsync();

        var (jobId, done) = await RunAsync(pipeline, door, Job("/status/500"));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(Attempts, _receiver.Received.Count);
        Assert.Single(_receiver.Received.Select(a => a.Header("webhook-id")).Distinct());
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("completed", status.GetProperty("phase").GetString());
        Assert.Equal(JsonValueKind.Object, status.GetProperty("video").ValueKind);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("error").ValueKind);
        if (door == "manifest")
        {
            var manifests = await ManifestDoor.OpenAsync(pipeline);
            string name = (await manifests.JobsBlobNamesAsync()).Single(n => n.EndsWith(".result.json", StringComparison.Ordinal));
            var entry = (await manifests.ReadAsync(name))!.Value.GetProperty("jobs")[0];
            Assert.Equal("completed", entry.GetProperty("phase").GetString());
        }
    }

    [Theory]
    [InlineData("http")]
    [InlineData("manifest")]
    public async Task CallbackEventsAll_PostsEachPhaseChange_UnderItsOwnId_ThenTheEnd(string door)
    {
        await using var pipeline = await StartPipelineAsync();

        var (jobId, done) = await RunAsync(pipeline, door, Job("/hook", events: "all"));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        var callbacks = _receiver.Received;
        Assert.All(callbacks, AssertSigned);
        Assert.Equal(callbacks.Count, callbacks.Select(c => c.Header("webhook-id")).Distinct().Count());
        Assert.All(callbacks, c => Assert.Equal(jobId, Body(c).GetProperty("jobId").GetString()));

        // The end comes last (it waits for the phase callbacks); before it, one callback per phase the job went through.
        Assert.Equal("completed", Body(callbacks[^1]).GetProperty("phase").GetString());
        var timeline = (await pipeline.GetStatusAsync(jobId)).GetProperty("timeline").EnumerateArray()
            .Select(change => change.GetProperty("phase").GetString()!.ToLowerInvariant()).Where(phase => phase != "completed").ToList();
        Assert.Superset(new HashSet<string> { "validating", "uploading", "submitting", "queued", "archiving" }, timeline.ToHashSet());
        Assert.Equal(timeline.Order(), callbacks.Take(callbacks.Count - 1).Select(c => Body(c).GetProperty("phase").GetString()!).Order());
    }

    [Theory]
    [InlineData("http://10.0.0.5/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("https://192.168.1.20/hook")]
    public async Task ACallbackUrlOnAPrivateAddress_IsRefusedAtTheHttpDoor_With400NamingCallbackUrl(string url)
    {
        await using var pipeline = await StartPipelineAsync();
        var job = Job("/hook");
        job["callback_url"] = url;

        using var response = await pipeline.PostJobAsync(job);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Equal(["callback_url"], errors.EnumerateObject().Select(e => e.Name));
        Assert.Contains("callback URL", errors.GetProperty("callback_url")[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(await pipeline.Client.GetAllInstancesAsync().ToListAsync());
        Assert.All(pipeline.Fal.State.Counts.Values, count => Assert.Equal(0, count));
    }

    [Theory]
    [InlineData("http://10.0.0.5/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    public async Task ACallbackUrlOnAPrivateAddress_IsRefusedInTheManifestsErrorFile_ForTheBatchAndForAJob(string url)
    {
        await using var pipeline = await StartPipelineAsync();
        var manifests = await ManifestDoor.OpenAsync(pipeline);
        var own = Job("/hook");
        own["callback_url"] = url;
        var manifest = new JsonObject { ["callback_url"] = url, ["jobs"] = new JsonArray(own) };

        await manifests.DropAndDeliverAsync("callbacks/private.json", manifest);

        var problems = (await manifests.ReadErrorsAsync("callbacks/private.json"))!.Value.GetProperty("problems").EnumerateArray().ToList();
        Assert.Equal(2, problems.Count);
        Assert.Single(problems, p => p.GetProperty("job").ValueKind == JsonValueKind.Null); // the batch's default
        Assert.Single(problems, p => p.GetProperty("job").ValueKind == JsonValueKind.Number && p.GetProperty("job").GetInt32() == 0); // the job's own
        Assert.All(problems, p => Assert.Equal("callback_url", p.GetProperty("field").GetString()));
        Assert.All(problems, p => Assert.Contains("callback URL", p.GetProperty("reason").GetString(), StringComparison.Ordinal));
        Assert.Empty(await manifests.InstancesAsync());
        Assert.All(pipeline.Fal.State.Counts.Values, count => Assert.Equal(0, count));
        Assert.Null(await manifests.ReadResultAsync("callbacks/private.json"));
        Assert.Empty(_receiver.Received);
    }
}
