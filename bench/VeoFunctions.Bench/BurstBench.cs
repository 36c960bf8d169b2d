using System.Diagnostics;
using System.Net;
using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;

namespace VeoFunctions.Bench;

/// <summary>1,000 jobs POSTed at once; fal generates each for a fixed time; all must end archived, once.</summary>
internal static class BurstBench
{
    private const int JobCount = 1000;
    private static readonly TimeSpan Generation = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(BenchAzurite azurite)
    {
        var emulator = new EmulatorOptions { QueueTime = TimeSpan.Zero, GenerationTime = Generation };
        await using var pipeline = await Pipeline.StartAsync(azurite.Azurite, emulator, new Dictionary<string, string?>
        {
            // Production ratios (first check 1.5x the expected generation, cap = generation) on a 10 s generation.
            ["Jobs:FirstStatusCheck"] = "00:00:15",
            ["Jobs:MaxStatusCheckInterval"] = "00:00:10",
            ["Jobs:Deadline"] = "00:05:00",
        });

        // Warm-up job (JIT, containers, JWKS cache), not measured; then forget its traces.
        string warmup = await pipeline.StartJobAsync(Jobs.Body(1));
        await pipeline.WaitForJobAsync(warmup, TimeSpan.FromMinutes(1));
        await foreach (var blob in pipeline.Videos.GetBlobsAsync())
        {
            await pipeline.Videos.DeleteBlobAsync(blob.Name);
        }

        pipeline.Fal.State.Reset();
        pipeline.Fal.State.Options.GenerationTime = Generation;

        using var self = Process.GetCurrentProcess();
        var cpu0 = self.TotalProcessorTime;
        var t0 = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var posts = await Task.WhenAll(Enumerable.Range(0, JobCount).Select(async _ =>
        {
            using var response = await pipeline.PostJobAsync(Jobs.Body(1));
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(), At: clock.Elapsed);
        }));
        var allAccepted = clock.Elapsed;
        var ids = posts.Where(p => p.StatusCode == HttpStatusCode.Accepted)
            .Select(p => System.Text.Json.JsonDocument.Parse(p.Body).RootElement.GetProperty("jobId").GetString()!).ToList();

        List<OrchestrationMetadata> instances;
        var deadline = clock.Elapsed + TimeSpan.FromMinutes(4);
        while (true)
        {
            instances = (await pipeline.Durable.Client.GetAllInstancesAsync(new OrchestrationQuery { PageSize = 2000 }).ToListAsync())
                .Where(i => i.InstanceId != warmup).ToList();
            if (instances.Count >= ids.Count && instances.All(i => i.IsCompleted) || clock.Elapsed > deadline)
            {
                break;
            }

            await Task.Delay(100);
        }

        var observedDone = clock.Elapsed;
        self.Refresh();
        var cpu = self.TotalProcessorTime - cpu0;
        var state = pipeline.Fal.State;
        var submissions = state.Submissions;
        var hooks = state.WebhookDeliveries;
        int mp4 = 0;
        await foreach (var blob in pipeline.Videos.GetBlobsAsync())
        {
            mp4 += blob.Name.EndsWith(".mp4", StringComparison.Ordinal) ? 1 : 0;
        }

        var lastDone = instances.Max(i => i.LastUpdatedAt);
        var wall = lastDone - t0;
        string Rel(DateTimeOffset at) => Table.Ms(at - t0);
        int completed = instances.Count(i => i.RuntimeStatus == OrchestrationRuntimeStatus.Completed);
        var jobsAtFal = submissions.Select(s => s.WebhookUrl?.Split("job=")[^1]).Distinct().Count();

        new Table($"4. Burst — {JobCount} jobs POSTed at once, {Generation.TotalSeconds:0} s generation, no fal concurrency limit",
                "check", "value", "expected")
            .Row("POST /api/videos answered 202", posts.Count(p => p.StatusCode == HttpStatusCode.Accepted), JobCount)
            .Row("other answers", string.Join(", ", posts.Where(p => p.StatusCode != HttpStatusCode.Accepted).GroupBy(p => (int)p.StatusCode).Select(g => $"{g.Key} x{g.Count()}")), "none")
            .Row("submissions at fal (emulator)", submissions.Count, JobCount)
            .Row("distinct fal request ids", submissions.Select(s => s.RequestId).Distinct().Count(), JobCount)
            .Row("distinct jobs submitted (webhook URL job=)", jobsAtFal, JobCount)
            .Row("orchestrations Completed", $"{completed} of {instances.Count}", JobCount)
            .Row(".mp4 blobs in the videos container", mp4, JobCount)
            .Row("status calls (polling fallback used)", state.GetCount(RequestKind.Status), 0)
            .Row("webhook attempts (fal retries a failed one)", $"{hooks.Count} ({hooks.Count(h => !h.Succeeded)} failed{FailedBy(hooks)})", JobCount)
            .Print();

        new Table("Burst timeline (from the first POST)", "event", "at")
            .Row("all 1000 POSTs answered", allAccepted)
            .Row("first / last submit at fal", $"{Rel(submissions.Min(s => s.SubmittedAt))} / {Rel(submissions.Max(s => s.SubmittedAt))}")
            .Row("first / last webhook delivered", hooks.Count == 0 ? "-" : $"{Rel(hooks.Min(h => h.At))} / {Rel(hooks.Max(h => h.At))}")
            .Row("first / last orchestration Completed", $"{Rel(instances.Min(i => i.LastUpdatedAt))} / {Rel(lastDone)}")
            .Row("wall time (last Completed)", wall)
            .Row("wall time / generation time", $"{wall / Generation:0.00}x (goal <= 1.5x)")
            .Print();
        Console.WriteLine($"""

            Engine slots (Environment.ProcessorCount seen by the in-memory engine): {Environment.ProcessorCount}; thread pool min threads: {MinThreads()}.
            CPU used by this process (app + durable engine + fal emulator + load generator; Azurite is a separate node process)
            until completion was observed: {cpu.TotalSeconds:0.0} s over {observedDone.TotalSeconds:0.0} s of wall time on {BenchRunnerCores()} cores.
            """);
    }

    private static string BenchRunnerCores() => Environment.GetEnvironmentVariable("BENCH_REAL_CPUS") ?? Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string FailedBy(IReadOnlyList<WebhookDeliveryInfo> hooks) =>
        string.Concat(hooks.Where(h => !h.Succeeded).GroupBy(h => h.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? h.Error?.Split(':')[0] ?? "?")
            .Select(g => $"; {g.Key} x{g.Count()}"));

    private static int MinThreads()
    {
        ThreadPool.GetMinThreads(out int workers, out _);
        return workers;
    }
}
