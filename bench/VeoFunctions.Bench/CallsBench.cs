using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;

namespace VeoFunctions.Bench;

/// <summary>
/// HTTP requests to fal per job. Every time is scaled by <see cref="Scale"/>: the emulator's generation and queue
/// times, the app's status-check timings and the reference poller's interval alike, so the counts are those of the
/// full-length run (counts depend on ratios of times, not on their size); only fixed latencies (ms) do not scale.
/// </summary>
internal static class CallsBench
{
    public const double Scale = 0.1;
    private const int JobsPerVariant = 5;
    private const int ImagesPerJob = 2;

    private static readonly TimeSpan Generation = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan QueueTime = TimeSpan.FromSeconds(2);

    // The app's production defaults (JobOptions): FirstStatusCheck 90 s, MaxStatusCheckInterval 60 s, Deadline 30 min.
    private static readonly TimeSpan FirstStatusCheck = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan MaxStatusCheckInterval = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(30);

    // @fal-ai/client subscribe(): pollInterval default 500 ms.
    private static readonly TimeSpan JsPollInterval = TimeSpan.FromMilliseconds(500);

    private static TimeSpan Scaled(TimeSpan t) => t * Scale;

    internal sealed record Counts(string Variant, int Jobs, double Submit, double Status, double Result, double Cancel,
        double UploadInitiate, double UploadPut, double VideoGet, double Jwks, double WebhookAttempts, TimeSpan MeanJobTime)
    {
        public double QueueApi => Submit + Status + Result + Cancel;

        public double ExcludingUploads => QueueApi + VideoGet + Jwks;

        public double IncludingUploads => ExcludingUploads + UploadInitiate + UploadPut;
    }

    public static async Task<IReadOnlyList<Counts>> RunAsync(BenchAzurite azurite)
    {
        var results = new List<Counts>
        {
            await AppAsync(azurite, "(a) app, webhook path", Generation, dropWebhook: false),
            await AppAsync(azurite, "(b) app, polling fallback (webhook dropped)", Generation, dropWebhook: true),
            await AppAsync(azurite, "(b') app, polling fallback, 180 s generation", Generation * 3, dropWebhook: true),
            await ReferencePollerAsync("(c) reference poller (fal JS subscribe, 500 ms)", Generation),
        };

        var table = new Table(
            $"1. fal calls per job — 60 s generation + 2 s queue, scaled ×{Scale} (mean of {JobsPerVariant} jobs, {ImagesPerJob} reference images each)",
            "variant", "submit", "status", "result", "cancel", "video GET", "JWKS", "total excl. uploads", "upload initiate", "upload PUT", "total incl. uploads", "webhook POSTs", "job time (scaled)");
        foreach (var c in results)
        {
            table.Row(c.Variant, c.Submit, c.Status, c.Result, c.Cancel, c.VideoGet, c.Jwks, c.ExcludingUploads, c.UploadInitiate, c.UploadPut, c.IncludingUploads, c.WebhookAttempts, c.MeanJobTime);
        }

        table.Print();
        Console.WriteLine($"""

            Scaling: emulator GenerationTime {Jobs.Seconds(Scaled(Generation))} (60 s), QueueTime {Jobs.Seconds(Scaled(QueueTime))} (2 s);
            app Jobs:FirstStatusCheck {Jobs.Seconds(Scaled(FirstStatusCheck))} (90 s), Jobs:MaxStatusCheckInterval {Jobs.Seconds(Scaled(MaxStatusCheckInterval))} (60 s),
            Jobs:Deadline {Jobs.Seconds(Scaled(Deadline))} (30 min); reference poll interval {Scaled(JsPollInterval).TotalMilliseconds} ms (500 ms).
            "total excl. uploads" = queue API (submit+status+result+cancel) + the video download from fal's CDN + the JWKS
            fetch (once per process, cached, shown per job); uploads = storage initiate + PUT, 2 calls per reference image.
            Goals: webhook path <= 3 excl. uploads; polling fallback <= 10 for a 60 s generation.
            """);
        return results;
    }

    private static async Task<Counts> AppAsync(BenchAzurite azurite, string variant, TimeSpan generation, bool dropWebhook)
    {
        var emulator = new EmulatorOptions { GenerationTime = Scaled(generation), QueueTime = Scaled(QueueTime) };
        if (dropWebhook)
        {
            emulator.Faults.Add(FaultRule.Generation(FaultKind.WebhookDrop, count: null));
        }

        await using var pipeline = await Pipeline.StartAsync(azurite.Azurite, emulator, new Dictionary<string, string?>
        {
            ["Jobs:FirstStatusCheck"] = Jobs.Seconds(Scaled(FirstStatusCheck)),
            ["Jobs:MaxStatusCheckInterval"] = Jobs.Seconds(Scaled(MaxStatusCheckInterval)),
            ["Jobs:Deadline"] = Jobs.Seconds(Scaled(Deadline)),
        });

        var clock = Stopwatch.StartNew();
        var ids = await Task.WhenAll(Enumerable.Range(0, JobsPerVariant).Select(_ => pipeline.StartJobAsync(Jobs.Body(ImagesPerJob))));
        var done = await Task.WhenAll(ids.Select(id => pipeline.WaitForJobAsync(id, TimeSpan.FromMinutes(2))));
        var elapsed = clock.Elapsed;
        if (done.Any(d => d.RuntimeStatus != OrchestrationRuntimeStatus.Completed))
        {
            throw new InvalidOperationException($"{variant}: not every job completed: {string.Join(", ", done.Select(d => d.RuntimeStatus))}");
        }

        await Task.Delay(200); // let the emulator finish counting the last calls
        if (Environment.GetEnvironmentVariable("BENCH_DEBUG") is not null)
        {
            foreach (var sub in pipeline.Fal.State.Submissions)
            {
                var d = done.First(x => sub.WebhookUrl!.Contains(x.InstanceId, StringComparison.Ordinal));
                var hook = pipeline.Fal.State.WebhookDeliveries.FirstOrDefault(w => w.RequestId == sub.RequestId);
                Console.WriteLine($"created {d.CreatedAt:HH:mm:ss.fff} submitted {sub.SubmittedAt:HH:mm:ss.fff} started {sub.StartedAt:HH:mm:ss.fff} completed {sub.CompletedAt:HH:mm:ss.fff} webhook {hook?.At:HH:mm:ss.fff} done {d.LastUpdatedAt:HH:mm:ss.fff}");
            }
        }
        return Collect(variant, pipeline.Fal.State, JobsPerVariant, done.Average(d => (d.LastUpdatedAt - d.CreatedAt).TotalMilliseconds));
    }

    private static Counts Collect(string variant, EmulatorState state, int jobs, double meanJobMs)
    {
        var byRequest = state.CountsByRequest;
        double PerJob(RequestKind kind) => byRequest.Values.Sum(c => c.TryGetValue(kind, out long n) ? n : 0) / (double)jobs;
        double Global(RequestKind kind) => state.GetCount(kind) / (double)jobs;
        return new Counts(variant, jobs, PerJob(RequestKind.Submit), PerJob(RequestKind.Status) + PerJob(RequestKind.StatusStream), PerJob(RequestKind.Result),
            PerJob(RequestKind.Cancel), Global(RequestKind.UploadInitiate), Global(RequestKind.UploadPut), Global(RequestKind.FileGet), Global(RequestKind.Jwks),
            state.WebhookDeliveries.Count(d => !d.Dropped) / (double)jobs, TimeSpan.FromMilliseconds(meanJobMs));
    }

    /// <summary>
    /// What @fal-ai/client's <c>fal.subscribe</c> does (mode "polling"): upload each input file (initiate + PUT),
    /// submit without a webhook, GET status every pollInterval until COMPLETED, GET the result; then the caller
    /// downloads the video (as our archive does). Plain HttpClient, no retries needed against the emulator.
    /// </summary>
    private static async Task<Counts> ReferencePollerAsync(string variant, TimeSpan generation)
    {
        await using var fal = await FalEmulatorHost.StartAsync(new EmulatorOptions { GenerationTime = Scaled(generation), QueueTime = Scaled(QueueTime) });
        using var http = new HttpClient { BaseAddress = new Uri(fal.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Key", "test-id:test-secret");
        var interval = Scaled(JsPollInterval);
        var times = await Task.WhenAll(Enumerable.Range(0, JobsPerVariant).Select(_ => OneAsync(http, interval)));
        await Task.Delay(200);
        return Collect(variant, fal.State, JobsPerVariant, times.Average(t => t.TotalMilliseconds));
    }

    private static async Task<TimeSpan> OneAsync(HttpClient http, TimeSpan interval)
    {
        var clock = Stopwatch.StartNew();
        var urls = new List<string>();
        foreach (var (dataUri, i) in new[] { Jobs.SmallPng, Jobs.OtherPng }.Take(ImagesPerJob).Select((d, i) => (d, i)))
        {
            using var initiate = await http.PostAsJsonAsync("/storage/upload/initiate?storage_type=fal-cdn-v3", new { content_type = "image/png", file_name = $"ref-{i}.png" });
            var target = JsonNode.Parse(await initiate.EnsureSuccessStatusCode().Content.ReadAsStringAsync())!;
            using var bytes = new ByteArrayContent(Convert.FromBase64String(dataUri[(dataUri.IndexOf(',', StringComparison.Ordinal) + 1)..]));
            bytes.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            using var put = new HttpRequestMessage(HttpMethod.Put, (string)target["upload_url"]!) { Content = bytes };
            put.Headers.Authorization = null;
            using var uploaded = await http.SendAsync(put);
            uploaded.EnsureSuccessStatusCode();
            urls.Add((string)target["file_url"]!);
        }

        using var submitted = await http.PostAsJsonAsync("/fal-ai/veo3.1/reference-to-video", new { prompt = "A chimpanzee in overalls plays with butterflies", image_urls = urls, generate_audio = false });
        var queued = JsonNode.Parse(await submitted.EnsureSuccessStatusCode().Content.ReadAsStringAsync())!;
        string statusUrl = (string)queued["status_url"]!;
        string responseUrl = (string)queued["response_url"]!;
        while (true)
        {
            using var status = await http.GetAsync(statusUrl + "?logs=1");
            var body = JsonNode.Parse(await status.Content.ReadAsStringAsync())!;
            if ((string?)body["status"] == "COMPLETED")
            {
                break;
            }

            await Task.Delay(interval);
        }

        using var result = await http.GetAsync(responseUrl);
        var output = JsonDocument.Parse(await result.EnsureSuccessStatusCode().Content.ReadAsStringAsync());
        using var video = await http.GetAsync(output.RootElement.GetProperty("video").GetProperty("url").GetString(), HttpCompletionOption.ResponseHeadersRead);
        await (await video.EnsureSuccessStatusCode().Content.ReadAsStreamAsync()).CopyToAsync(Stream.Null);
        return clock.Elapsed;
    }
}
