using System.Diagnostics;
using System.Text.Json;
using Azure.Storage.Blobs;
using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;

namespace VeoFunctions.Bench;

/// <summary>
/// From fal's webhook (the emulator's timestamp of the successful delivery attempt, taken just before it POSTs) to
/// (1) the video blob committed — the manifest's <c>timings.archivedAt</c>, stamped by VideoArchive right after the
/// block list commits — and (2) the orchestration Completed (its LastUpdatedAt). Same process, same clock.
/// Tiny video (the emulator's sample MP4, no padding), so the byte transfer is negligible.
/// </summary>
internal static class OverheadBench
{
    public static async Task RunAsync(BenchAzurite azurite, int jobs, TimeSpan gap, string label)
    {
        var emulator = new EmulatorOptions { QueueTime = TimeSpan.Zero, GenerationTime = TimeSpan.FromMilliseconds(500) };
        await using var pipeline = await Pipeline.StartAsync(azurite.Azurite, emulator, new Dictionary<string, string?>
        {
            // No status polling during the measurement: the webhook is the only way the job learns it is done.
            ["Jobs:FirstStatusCheck"] = "00:10:00",
            ["Jobs:MaxStatusCheckInterval"] = "00:10:00",
        });

        // Warm-up (JIT, containers, JWKS), not measured.
        await pipeline.WaitForJobAsync(await pipeline.StartJobAsync(Jobs.Body(1)), TimeSpan.FromMinutes(1));
        pipeline.Fal.State.Reset();

        var clock = Stopwatch.StartNew();
        var running = new List<Task<(string Id, OrchestrationMetadata Done)>>();
        for (int i = 0; i < jobs; i++)
        {
            if (gap == TimeSpan.Zero)
            {
                string id = await pipeline.StartJobAsync(Jobs.Body(1));
                running.Add(Task.FromResult((id, await pipeline.WaitForJobAsync(id, TimeSpan.FromMinutes(5)))));
            }
            else
            {
                running.Add(StartAndWaitAsync(pipeline));
                await Task.Delay(gap);
            }
        }

        var finished = await Task.WhenAll(running);
        var elapsed = clock.Elapsed;
        var (toCommit, toComplete, failed, retried) = await MeasureAsync(finished, pipeline.Fal, pipeline.Videos);
        PrintTable($"2. Pipeline overhead — {label}: {jobs} jobs, {(gap == TimeSpan.Zero ? "one at a time" : $"one started every {gap.TotalMilliseconds:0} ms")} ({elapsed.TotalSeconds:0.0} s)",
            toCommit, toComplete);
        Console.WriteLine($"""

            Engine: in-memory DurableTaskTestHost; its dispatchers admit at most Environment.ProcessorCount = {Environment.ProcessorCount} work items of
            each kind at a time and, when full, look again only every 500 ms. Jobs not Completed: {failed}; webhooks needing
            more than one attempt: {retried}. Goal: p50 <= 1 s (webhook -> blob committed).
            """);
    }

    public static void PrintTable(string title, IReadOnlyList<TimeSpan> toCommit, IReadOnlyList<TimeSpan> toComplete) =>
        new Table(title, "from fal's webhook to", "n", "p50", "p95", "max", "min")
            .Row("video blob committed (manifest archivedAt)", toCommit.Count, Stats.Percentile(toCommit, 50), Stats.Percentile(toCommit, 95), Stats.Percentile(toCommit, 100), Stats.Percentile(toCommit, 0))
            .Row("orchestration Completed (LastUpdatedAt)", toComplete.Count, Stats.Percentile(toComplete, 50), Stats.Percentile(toComplete, 95), Stats.Percentile(toComplete, 100), Stats.Percentile(toComplete, 0))
            .Print();

    /// <summary>
    /// For each finished job: from its successful webhook attempt (emulator's timestamp) to the manifest's archivedAt
    /// and to the orchestration's LastUpdatedAt. Jobs not Completed are counted, not measured.
    /// </summary>
    public static async Task<(List<TimeSpan> ToCommit, List<TimeSpan> ToComplete, int Failed, int Retried)> MeasureAsync(
        IEnumerable<(string Id, OrchestrationMetadata Done)> finished, FalEmulatorHost fal, BlobContainerClient videos)
    {
        var deliveries = fal.State.WebhookDeliveries;
        var toCommit = new List<TimeSpan>();
        var toComplete = new List<TimeSpan>();
        int failed = 0, retried = 0;
        foreach (var (_, done) in finished)
        {
            if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
            {
                failed++;
                continue;
            }

            var result = done.ReadOutputAs<VideoJobResult>()!;
            string requestId = result.FalRequestId;
            string manifestName = result.Video.ManifestBlobName;
            var hooks = deliveries.Where(d => d.RequestId == requestId).ToList();
            retried += hooks.Count > 1 ? 1 : 0;
            var hook = hooks.Where(d => d.Succeeded).OrderBy(d => d.At).First();
            var manifest = JsonDocument.Parse((await videos.GetBlobClient(manifestName).DownloadContentAsync()).Value.Content.ToString()).RootElement;
            var archivedAt = manifest.GetProperty("timings").GetProperty("archivedAt").GetDateTimeOffset();
            toCommit.Add(archivedAt - hook.At);
            toComplete.Add(done.LastUpdatedAt - hook.At);
        }

        return (toCommit, toComplete, failed, retried);
    }

    private static async Task<(string, OrchestrationMetadata)> StartAndWaitAsync(Pipeline pipeline)
    {
        string id = await pipeline.StartJobAsync(Jobs.Body(1));
        return (id, await pipeline.WaitForJobAsync(id, TimeSpan.FromMinutes(5)));
    }
}
