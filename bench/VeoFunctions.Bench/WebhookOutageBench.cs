using System.Diagnostics;
using System.Text.Json;
using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;

namespace VeoFunctions.Bench;

/// <summary>
/// Webhook to blob committed while fal's status API is down: each job's first status check fails before fal finishes,
/// so its retries (production schedule: 6 tries from 5 s) are under way when the webhook comes. The time is from fal
/// sending the delivery that the door answered 2xx to the archive's commit (the manifest's <c>archivedAt</c>), both
/// on this machine's clock. Test engine (in-process), so it leaves out the Azure Storage backend's queue polling (≤ 1 s).
/// </summary>
internal static class WebhookOutageBench
{
    private const int JobCount = 12;
    private static readonly TimeSpan Outage = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan Spacing = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(BenchAzurite azurite)
    {
        var emulator = new EmulatorOptions { QueueTime = TimeSpan.Zero, GenerationTime = TimeSpan.FromSeconds(3) };
        emulator.Faults.Add(new FaultRule { Kind = FaultKind.HttpError, Target = RequestKind.Status, StatusCode = 503, For = Outage });
        await using var pipeline = await Pipeline.StartAsync(azurite.Azurite, emulator, new Dictionary<string, string?>
        {
            ["Jobs:FirstStatusCheck"] = "00:00:01",
            ["Jobs:FirstRetryInterval"] = "00:00:05",
            ["Jobs:MaxActivityAttempts"] = "6",
        });

        var outage = Stopwatch.StartNew();
        var ids = new List<string>();
        for (int i = 0; i < JobCount; i++)
        {
            ids.Add(await pipeline.StartJobAsync(Jobs.Body(1)));
            await Task.Delay(Spacing);
        }

        var done = await Task.WhenAll(ids.Select(id => pipeline.WaitForJobAsync(id, TimeSpan.FromMinutes(5))));
        if (done.Any(d => d.RuntimeStatus != OrchestrationRuntimeStatus.Completed))
        {
            throw new InvalidOperationException($"not every job completed: {string.Join(", ", done.Select(d => d.RuntimeStatus))}");
        }

        var latencies = new List<TimeSpan>();
        foreach (string id in ids)
        {
            var status = await pipeline.GetStatusAsync(id);
            string requestId = status.GetProperty("falRequestId").GetString()!;
            string manifestName = status.GetProperty("video").GetProperty("manifestBlobName").GetString()!;
            using var manifest = JsonDocument.Parse((await pipeline.Videos.GetBlobClient(manifestName).DownloadContentAsync()).Value.Content.ToString());
            var archivedAt = manifest.RootElement.GetProperty("timings").GetProperty("archivedAt").GetDateTimeOffset();
            var webhook = pipeline.Fal.State.WebhookDeliveries.Where(w => w.RequestId == requestId && w.StatusCode is >= 200 and < 300).Min(w => w.At);
            latencies.Add(archivedAt - webhook);
        }

        long statusCalls = pipeline.Fal.State.GetCount(RequestKind.Status);
        new Table(
            $"Webhook → blob committed during a status outage ({JobCount} jobs, {Spacing.TotalSeconds:0} s apart, inside a {Outage.TotalMinutes:0}-minute outage; orchestrator {VideoJobs()})",
            "jobs", "p50", "p95", "max", "status calls (all jobs)", "outage elapsed at the end")
            .Row(JobCount, Table.Ms(Stats.Percentile(latencies, 0.50)), Table.Ms(Stats.Percentile(latencies, 0.95)), Table.Ms(latencies.Max()), statusCalls, Jobs.Seconds(outage.Elapsed))
            .Print();
    }

    private static string VideoJobs() => global::VeoFunctions.Jobs.VideoJobOrchestrator.Version;
}
