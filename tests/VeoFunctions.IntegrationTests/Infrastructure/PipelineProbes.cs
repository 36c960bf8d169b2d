using System.Text.Json;
using FalEmulator;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Jobs;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>What the job tests ask of a pipeline: a job to post, fal set up to misbehave, and what a caller and storage see.</summary>
internal static class PipelineProbes
{
    /// <summary>Status checks that start soon and stay frequent, so the fallback and the lookups run while a webhook is lost.</summary>
    public static Dictionary<string, string?> FrequentChecks() => new()
    {
        ["Jobs:FirstStatusCheck"] = "00:00:00.300",
        ["Jobs:MaxStatusCheckInterval"] = "00:00:00.500",
    };

    /// <summary>A valid job with one small reference image.</summary>
    public static object Job(string prompt) => new { prompt, image_urls = new[] { TestImages.DataUri(TestImages.Png()) } };

    /// <summary>fal with these faults.</summary>
    public static EmulatorOptions Fal(params FaultRule[] faults)
    {
        var options = new EmulatorOptions();
        foreach (var fault in faults)
        {
            options.Faults.Add(fault);
        }

        return options;
    }

    /// <summary>
    /// fal on a clock the test moves: a request starts at once and finishes only when the test advances the clock by
    /// <paramref name="generation"/>; webhook delays wait for the clock too. What fal does and when is the test's to
    /// decide, so an ordering (a cancel mid-generation, a delivery after the job ended) never depends on machine speed.
    /// </summary>
    public static EmulatorOptions OnClock(FakeTimeProvider clock, TimeSpan generation, params FaultRule[] faults)
    {
        var options = Fal(faults);
        options.TimeProvider = clock;
        options.QueueTime = TimeSpan.Zero;
        options.GenerationTime = generation;
        options.ProgressLogLines = 1; // one wait for the whole generation: one advance finishes it
        return options;
    }

    /// <summary>A clock for <see cref="OnClock"/>, starting now (fal's webhook signatures carry its time).</summary>
    public static FakeTimeProvider Clock() => new(DateTimeOffset.UtcNow);

    /// <summary>
    /// Asks <c>GET /api/videos/{jobId}</c> until its answer satisfies <paramref name="until"/> or the job has ended
    /// (then at once: the caller's assertions say what went wrong), and returns that answer.
    /// </summary>
    public static async Task<JsonElement> WaitForStatusAsync(this Pipeline pipeline, string jobId, Func<JsonElement, bool> until, TimeSpan? timeout = null)
    {
        JsonElement status = default;
        await Poll.UntilAsync(
            async () => until(status = await pipeline.GetStatusAsync(jobId)) || status.Text("phase") is "completed" or "failed" or "cancelled",
            timeout ?? Patience.Job);
        return status;
    }

    /// <summary>A string member of a status answer, null when absent or null.</summary>
    public static string? Text(this JsonElement status, string property) =>
        status.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>True when the status answer has a non-null <paramref name="property"/>.</summary>
    public static bool Has(this JsonElement status, string property) =>
        status.TryGetProperty(property, out var value) && value.ValueKind is not JsonValueKind.Null and not JsonValueKind.Undefined;

    /// <summary>The videos archived so far (blob names ending .mp4).</summary>
    public static async Task<IReadOnlyList<string>> VideoBlobsAsync(this Pipeline pipeline)
    {
        var names = new List<string>();
        if (await pipeline.Videos.ExistsAsync())
        {
            await foreach (var blob in pipeline.Videos.GetBlobsAsync())
            {
                if (blob.Name.EndsWith(".mp4", StringComparison.Ordinal))
                {
                    names.Add(blob.Name);
                }
            }
        }

        return names;
    }

    /// <summary>Waits until the job's salvage run (of that round) exists.</summary>
    public static Task WaitForSalvageStartAsync(this Pipeline pipeline, string jobId, TimeSpan? timeout = null, int round = 1) =>
        Poll.UntilAsync(async () => await pipeline.Client.GetInstanceAsync(JobIds.SalvageIdFor(jobId, round)) is not null, timeout ?? Patience.Job);

    /// <summary>Waits for the job's salvage run (of that round) to exist and end.</summary>
    public static async Task<OrchestrationMetadata> WaitForSalvageAsync(this Pipeline pipeline, string jobId, TimeSpan? timeout = null, int round = 1)
    {
        await pipeline.WaitForSalvageStartAsync(jobId, timeout, round);
        return await pipeline.WaitForJobAsync(JobIds.SalvageIdFor(jobId, round), timeout);
    }

    /// <summary>The job completed with one submission at fal, shows no trouble, names fal's request, and left one video.</summary>
    public static async Task AssertArchivedOnceAsync(this Pipeline pipeline, string jobId)
    {
        var done = await pipeline.WaitForJobAsync(jobId);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("completed", status.Text("phase"));
        Assert.Null(status.Text("lastError"));
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Submit));
        Assert.Equal(pipeline.TheSubmission().RequestId, status.Text("falRequestId"));
        Assert.Single(await pipeline.VideoBlobsAsync());
    }

    /// <summary>
    /// <c>POST …/resume</c> on a job its archive ended: accepted, and the job's salvage run archives its video (the job
    /// showing <c>completed</c>, <c>salvaged</c>) from the test's one submission, as one video. Returns the job's status.
    /// </summary>
    public static async Task<JsonElement> ResumeIntoSalvageAsync(this Pipeline pipeline, string jobId, int round = 1)
    {
        using (var resume = await pipeline.Http.PostAsync($"/api/videos/{jobId}/resume", null))
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, resume.StatusCode);
        }

        var salvage = await pipeline.WaitForSalvageAsync(jobId, round: round);
        Assert.True(salvage.RuntimeStatus == OrchestrationRuntimeStatus.Completed, salvage.FailureDetails?.ErrorMessage);
        var status = await pipeline.GetStatusAsync(jobId);
        Assert.Equal("completed", status.Text("phase"));
        Assert.True(status.GetProperty("salvaged").GetBoolean());
        Assert.Single(await pipeline.VideoBlobsAsync());
        Assert.Single(pipeline.Fal.State.Submissions);
        return status;
    }

    /// <summary>The video fal's result names for the test's only request, as fal serves it.</summary>
    public static async Task<byte[]> FalsVideoAsync(this Pipeline pipeline)
    {
        var request = global::Fal.Queue.FalRequest.FromRequestId(global::Fal.Veo31.ReferenceToVideoInput.EndpointId, pipeline.TheSubmission().RequestId, new Uri(pipeline.Configuration["Fal:QueueBaseUrl"]!));
        using var fal = new HttpClient();
        fal.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Key", pipeline.Configuration["Fal:Key"]);
        var result = JsonDocument.Parse(await fal.GetStringAsync(request.ResponseUrl)).RootElement;
        return await fal.GetByteArrayAsync(result.GetProperty("video").GetProperty("url").GetString());
    }

    /// <summary>The request fal accepted for the job (the test's only one).</summary>
    public static SubmissionInfo TheSubmission(this Pipeline pipeline) => Assert.Single(pipeline.Fal.State.Submissions);
}
