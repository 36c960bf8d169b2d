using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.ScaleOut;
using VeoFunctions.Jobs;

namespace VeoFunctions.Bench;

/// <summary>
/// Section 5: the app scaled out on the production durable backend — the integration tests' <see cref="ScaleOutRig"/>
/// (each instance a tests/DurableSidecar + tests/VeoWorker + the app's HTTP doors, one task hub with host.json's 4
/// partitions, 1 s queue polling and 16/16 concurrency, a round-robin front that fal's webhooks go through too).
/// Variants: intake alone (no workers), a burst on 1 and on 3 instances, the burst with an instance killed and brought
/// back (the CI test's scenario at full size, with its checks), webhook → blob committed with idle queues on 3
/// instances, and storage transactions per job from Azurite's request log.
/// </summary>
internal static class ScaleOutBench
{
    public static readonly string[] Variants = ["intake-1", "intake-3", "intake-photo-1", "burst-1", "burst-3", "burst-3-kill", "webhook-3", "transactions-1", "transactions-3"];

    private static readonly TimeSpan Generation = TimeSpan.FromSeconds(10);

    /// <summary>Jobs per burst: the issue's 500 unless BENCH_SCALEOUT_JOBS says otherwise.</summary>
    private static int BurstJobs => int.TryParse(Environment.GetEnvironmentVariable("BENCH_SCALEOUT_JOBS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 500;

    /// <summary>Variants whose Azurite logs every request (it slows Azurite down: only for counting).</summary>
    public static string? DebugLogFor(string variant) => variant.StartsWith("transactions", StringComparison.Ordinal)
        ? Path.Combine(Path.GetTempPath(), $"veo-bench-azurite-{Environment.ProcessId}.log")
        : null;

    public static async Task RunAsync(BenchAzurite azurite, string variant)
    {
        int instances = variant.EndsWith("-1", StringComparison.Ordinal) ? 1 : 3;
        var output = new BufferedOutput(echoRigLines: true);
        try
        {
            switch (variant)
            {
                case "intake-1" or "intake-3":
                    await IntakeAsync(azurite, instances, output);
                    break;
                case "intake-photo-1":
                    await IntakeAsync(azurite, instances, output, photo: true);
                    break;
                case "burst-1" or "burst-3" or "burst-3-kill":
                    await BurstAsync(azurite, instances, kill: variant.EndsWith("kill", StringComparison.Ordinal), output);
                    break;
                case "webhook-3":
                    await WebhookAsync(azurite, output);
                    break;
                default:
                    await TransactionsAsync(azurite, instances, output);
                    break;
            }
        }
        catch
        {
            Console.WriteLine("--- rig output (last 150 lines) ---");
            foreach (string line in output.Lines.TakeLast(150))
            {
                Console.WriteLine(line);
            }

            throw;
        }
    }

    // ---- intake alone -------------------------------------------------------------------------------------------

    /// <summary>A photo-sized reference image (1024×768, incompressible: about 2.3 MB, 3.1 MB as base64), as users send.</summary>
    private static readonly Lazy<string> Photo = new(() => IntegrationTests.Infrastructure.TestImages.DataUri(IntegrationTests.Infrastructure.TestImages.NoisyPng(1024, 768, seed: 7)));

    private static object PhotoBody() => new
    {
        prompt = "A chimpanzee in overalls plays with butterflies",
        image_urls = new[] { Photo.Value },
        aspect_ratio = "16:9",
        resolution = "720p",
        generate_audio = false,
    };

    private static async Task IntakeAsync(BenchAzurite azurite, int instances, BufferedOutput output, bool photo = false)
    {
        // Photo-sized bodies are 3 MB each: 100 at once keep the load generator's memory sane.
        int jobs = photo ? Math.Min(BurstJobs, 100) : BurstJobs;
        Func<object> body = photo ? PhotoBody : () => Jobs.Body(1);
        var options = ScaleOutOptions.Burst(Generation, instances) with { Workers = false };
        await using var rig = await ScaleOutRig.StartAsync(azurite.Azurite, output, options);

        // Warm-up (JIT and tiering in every process, containers): jobs left waiting in the task hub, not measured.
        for (int round = 0; round < 3; round++)
        {
            await ScaleOutBurst.PostAllAsync(rig, 30 * instances, () => Jobs.Body(1));
        }

        if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_TRACE_PAUSE"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int pause))
        {
            // Time to attach a profiler (dotnet-trace collect -p …) before the measured burst.
            Console.WriteLine($"TRACE: intake starts in {pause} s; this process {Environment.ProcessId}, sidecars {string.Join(", ", rig.Instances.Select(i => i.Sidecar!.Id))}");
            await Task.Delay(TimeSpan.FromSeconds(pause));
        }

        await using var cpu = new CpuMeter(() => Processes(rig, azurite));
        var (first, posts) = await ScaleOutBurst.PostAllAsync(rig, jobs, body);
        var last = posts.Max(p => p.At);
        await Task.Delay(300); // one more CPU reading past the last answer
        PrintIntake($"5a. Intake alone — {jobs} POSTs at once to {instances} instance(s), {(photo ? "each with a 2.3 MB photo" : "each with a small PNG")}, no durable workers", instances, jobs, first, last, posts, cpu);
        Console.WriteLine("""

            No worker is connected, so the sidecars start no dispatcher: the CPU above is the doors (read, parse and check the
            body, stage the image, schedule the orchestration), the front and the load generator (this process), the
            sidecars serving the schedule calls (instance table + control-queue message), and Azurite.
            """);
    }

    private static void PrintIntake(string title, int instances, int jobs, DateTimeOffset first, DateTimeOffset last, IReadOnlyList<BurstPost> posts, CpuMeter cpu)
    {
        int accepted = posts.Count(p => p.Status == HttpStatusCode.Accepted);
        var window = last - first;
        var spent = cpu.Between(first, last);
        double PerJob(string role) => spent.GetValueOrDefault(role).TotalMilliseconds / Math.Max(1, accepted);
        new Table(title, "instances", "accepted", "intake (first POST → last 202)", "jobs/s accepted", "CPU ms/job: this process (front, doors, fal emulator, load)", "sidecars", "workers", "Azurite", "all")
            .Row(instances, $"{accepted} of {jobs}", window, accepted / window.TotalSeconds, PerJob(ThisProcess), PerJob(Sidecars), PerJob(Workers), PerJob(AzuriteRole),
                spent.Values.Aggregate(TimeSpan.Zero, (a, b) => a + b).TotalMilliseconds / Math.Max(1, accepted))
            .Print();
        if (accepted < jobs)
        {
            Console.WriteLine($"Not accepted: {string.Join(", ", posts.Where(p => p.Status != HttpStatusCode.Accepted).GroupBy(p => (int)p.Status).Select(g => $"{g.Key} x{g.Count()}"))}");
        }
    }

    // ---- burst ----------------------------------------------------------------------------------------------------

    private static async Task BurstAsync(BenchAzurite azurite, int instances, bool kill, BufferedOutput output)
    {
        int jobs = BurstJobs;
        await using var rig = await ScaleOutRig.StartAsync(azurite.Azurite, output, ScaleOutOptions.Burst(Generation, instances));
        await WarmUpAsync(rig);

        await using var cpu = new CpuMeter(() => Processes(rig, azurite));
        var clock = Stopwatch.StartNew();
        var burst = await ScaleOutBurst.RunAsync(rig, jobs, () => Jobs.Body(1), killOne: kill, stall: TimeSpan.FromMinutes(5));
        var observed = clock.Elapsed;
        await ScaleOutChecks.AssertEveryJobArchivedOnceAsync(rig, burst); // throws (the run fails) if anything was lost or doubled
        var hooks = ScaleOutChecks.Webhooks(rig, burst);
        var state = rig.Fal.State;

        string title = kill
            ? $"5c. Burst with an instance killed — {jobs} jobs at once on {instances} instances, {Generation.TotalSeconds:0} s generation"
            : $"5b. Burst — {jobs} jobs at once on {instances} instance(s), {Generation.TotalSeconds:0} s generation";
        PrintIntake(title + ": intake", instances, jobs, burst.FirstPost, burst.LastAccepted, burst.Posts, cpu);
        var wall = burst.LastEnded - burst.FirstPost;
        var all = cpu.Between(burst.FirstPost, burst.LastEnded);
        new Table(title + ": whole run", "check / figure", "value")
            .Row("every job completed, one fal submission each, one .mp4 each with fal's bytes (checked)", "yes")
            .Row("submissions at fal / distinct jobs", $"{state.Submissions.Count} / {state.Submissions.Select(s => ScaleOutChecks.JobOf(s.WebhookUrl)).Distinct().Count()}")
            .Row("status calls (polling fallback)", state.GetCount(RequestKind.Status))
            .Row("jobs whose first submit died with its instance before reaching fal (submitted once the list proved it, Deadline + MaxGenerationTime later)",
                burst.Ended.Count(e => (e.SerializedOutput?.Contains("submitted again", StringComparison.Ordinal) ?? false) || (e.SerializedCustomStatus?.Contains("submitted again", StringComparison.Ordinal) ?? false)))
            .Row("webhook attempts (failed: what the attempt got)", $"{state.WebhookDeliveries.Count} ({state.WebhookDeliveries.Count(d => !d.Succeeded)}" +
                string.Concat(state.WebhookDeliveries.Where(d => !d.Succeeded).GroupBy(d => d.StatusCode is { } code ? $"HTTP {code}" : d.Error ?? "no answer").Select(g => $"; {g.Key} x{g.Count()}")) + ")")
            .Row("webhooks per instance / on an instance not holding the job's partition", $"{string.Join(", ", hooks.PerInstance.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))} / {hooks.OnNonOwner} of {hooks.Total}")
            .Row("first / last submit at fal", $"{Table.Ms(state.Submissions.Min(s => s.SubmittedAt) - burst.FirstPost)} / {Table.Ms(state.Submissions.Max(s => s.SubmittedAt) - burst.FirstPost)}")
            .Row("last webhook", Table.Ms(state.WebhookDeliveries.Max(d => d.At) - burst.FirstPost))
            .Row("wall time (first POST → last job Completed)", wall)
            .Row("wall time / generation time", $"{wall / Generation:0.00}x (goal <= 1.5x)")
            .Row("CPU per job, whole run (all processes)", $"{all.Values.Aggregate(TimeSpan.Zero, (a, b) => a + b).TotalMilliseconds / jobs:0} ms ({string.Join(", ", all.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value.TotalMilliseconds / jobs:0}"))})")
            .Print();

        if (ScaleOutChecks.WebhooksAnsweredWith5xx(rig) is { Count: > 0 } answered5xx)
        {
            Console.WriteLine($"\nWebhook deliveries an instance answered 5xx: {string.Join("; ", answered5xx.GroupBy(r => (r.Instance, r.Status)).Select(g =>
                $"instance {g.Key.Instance} {g.Key.Status} x{g.Count()} ({string.Join(", ", g.Select(r => Table.Ms(r.At - burst.FirstPost)))})"))}" +
                (burst.Killed is { } dead ? $"; instance {dead.Instance.Index} was killed at {Table.Ms(dead.KilledAt - burst.FirstPost)}" : ""));
        }

        if (burst.Killed is { } killed)
        {
            new Table("5c. The killed instance", "event", "value")
                .Row("killed", $"{killed.Instance} at {Table.Ms(killed.KilledAt - burst.FirstPost)}, holding {killed.Partitions.Count} of {rig.Options.PartitionCount} partitions, {killed.WebhooksBeforeKill} of {jobs} webhooks in")
                .Row("its partitions claimed by live instances (OwnedSince in the table)", $"{killed.TakeoverByTable.TotalSeconds:0.0} s after the kill")
                .Row("seen by polling the table every 200 ms", $"{killed.TakeoverObserved.TotalSeconds:0.0} s after the kill")
                .Row("restarted (same worker id), partitions even again over 3", $"{killed.RebalanceAfterRestart.TotalSeconds:0.0} s after its start began: {PartitionTable.Describe(killed.Rebalanced)}")
                .Print();
        }

        PrintWebhookToCommit($"5{(kill ? "c" : "b")}. Webhook → blob committed under the burst ({instances} instance(s))", await WebhookToCommitAsync(rig, burst.Timeline, burst.Ended));
        Console.WriteLine($"\n(observed end to end: {observed.TotalSeconds:0.0} s)");
    }

    // ---- webhook → blob with idle queues -------------------------------------------------------------------------

    private static async Task WebhookAsync(BenchAzurite azurite, BufferedOutput output)
    {
        const int jobs = 60;
        var gap = TimeSpan.FromSeconds(1.5);
        var generation = TimeSpan.FromSeconds(3);
        var options = ScaleOutOptions.Burst(generation) with
        {
            Configure = values =>
            {
                // No status polling: the webhook is the only way a job learns it is done.
                values["Jobs:FirstStatusCheck"] = "00:10:00";
                values["Jobs:MaxStatusCheckInterval"] = "00:10:00";
            },
        };
        await using var rig = await ScaleOutRig.StartAsync(azurite.Azurite, output, options);
        await WarmUpAsync(rig);
        var timeline = PartitionTimeline.Start(rig.Partitions);
        var ids = new List<string>();
        for (int i = 0; i < jobs; i++)
        {
            using var response = await rig.PostJobAsync(Jobs.Body(1));
            ids.Add(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("jobId").GetString()!);
            await Task.Delay(gap);
        }

        var ended = await rig.WaitForJobsAsync(ids, TimeSpan.FromMinutes(5));
        await timeline.DisposeAsync();
        PrintWebhookToCommit($"5d. Webhook → blob committed, idle queues: 3 instances, {jobs} jobs one every {gap.TotalSeconds:0.0} s, {generation.TotalSeconds:0} s generation",
            await WebhookToCommitAsync(rig, timeline, ended));
        Console.WriteLine($"""

            Queue polling backs off to maxQueuePollingInterval (1 s) on an idle queue; a webhook raised by an instance that does
            not hold the job's control queue wakes nobody's poller, so the owner sees it on its next poll. Status calls at fal: {rig.Fal.State.GetCount(RequestKind.Status)}.
            """);
    }

    private sealed record Hop(TimeSpan ToCommit, bool OnOwner, int Instance);

    private static async Task<List<Hop>> WebhookToCommitAsync(ScaleOutRig rig, PartitionTimeline timeline, IEnumerable<OrchestrationMetadata> ended)
    {
        var deliveries = rig.Fal.State.WebhookDeliveries.Where(d => d.Succeeded).ToList();
        var served = rig.Front.Served.Where(r => r.Path == "/api/fal/webhook" && r.Status == 200 && r.JobId is not null).ToLookup(r => r.JobId!);
        var workers = rig.Instances.ToDictionary(i => i.Index, i => i.WorkerId);
        var hops = new List<Hop>();
        foreach (var job in ended.Where(e => e.RuntimeStatus == OrchestrationRuntimeStatus.Completed))
        {
            var result = job.ReadOutputAs<VideoJobResult>()!;
            if (deliveries.Where(d => d.RequestId == result.FalRequestId).OrderBy(d => d.At).FirstOrDefault() is not { } hook
                || served[job.InstanceId].Where(r => r.At >= hook.At).OrderBy(r => r.At).FirstOrDefault() is not { } landed)
            {
                continue; // finished by a status check, not by its webhook
            }

            var manifest = JsonDocument.Parse((await rig.Videos.GetBlobClient(result.Video.ManifestBlobName).DownloadContentAsync()).Value.Content.ToString()).RootElement;
            var archivedAt = manifest.GetProperty("timings").GetProperty("archivedAt").GetDateTimeOffset();
            string? owner = timeline.OwnerAt(PartitionTable.ControlQueueOf(rig.TaskHub, job.InstanceId, rig.Options.PartitionCount), hook.At);
            hops.Add(new Hop(archivedAt - hook.At, owner == workers[landed.Instance], landed.Instance));
        }

        return hops;
    }

    private static void PrintWebhookToCommit(string title, List<Hop> hops)
    {
        var table = new Table(title, "webhook landed on", "n", "p50", "p95", "max");
        foreach (var (label, sample) in new[]
        {
            ("an instance NOT holding the job's partition", hops.Where(h => !h.OnOwner).Select(h => h.ToCommit).ToList()),
            ("the instance holding it", hops.Where(h => h.OnOwner).Select(h => h.ToCommit).ToList()),
            ("any", hops.Select(h => h.ToCommit).ToList()),
        })
        {
            table.Row(label, sample.Count, Stats.Percentile(sample, 50), Stats.Percentile(sample, 95), Stats.Percentile(sample, 100));
        }

        table.Print();
    }

    // ---- storage transactions ------------------------------------------------------------------------------------

    private static async Task TransactionsAsync(BenchAzurite azurite, int instances, BufferedOutput output)
    {
        const int jobs = 30;
        var idle = TimeSpan.FromSeconds(20);
        string log = azurite.Azurite.DebugLogPath!;
        await using var rig = await ScaleOutRig.StartAsync(azurite.Azurite, output, ScaleOutOptions.Burst(TimeSpan.FromSeconds(3), instances));
        await WarmUpAsync(rig);

        // The polling that goes on whatever the load: measured on idle queues, then subtracted.
        var idleFrom = DateTimeOffset.UtcNow;
        await Task.Delay(idle);
        var idleTo = DateTimeOffset.UtcNow;

        var from = DateTimeOffset.UtcNow;
        var ids = new List<string>();
        for (int i = 0; i < jobs; i++)
        {
            using var response = await rig.PostJobAsync(Jobs.Body(1));
            ids.Add(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("jobId").GetString()!);
            await Task.Delay(1000);
        }

        await rig.WaitForJobsAsync(ids, TimeSpan.FromMinutes(5));
        var to = DateTimeOffset.UtcNow;
        string work = rig.Configuration["Storage:WorkContainer"]!, videos = rig.Configuration["Storage:VideosContainer"]!;
        var baseline = StorageTransactions.Count(log, idleFrom, idleTo, rig.TaskHub, work, videos);
        var busy = StorageTransactions.Count(log, from, to, rig.TaskHub, work, videos);
        double scale = (to - from) / (idleTo - idleFrom);
        var table = new Table($"5e. Storage transactions per job — {instances} instance(s), {jobs} jobs one a second, 3 s generation (Azurite's request log)",
            "what", "per job (polling subtracted)", "idle polling, per second");
        double total = 0;
        foreach (string category in busy.Keys.Union(baseline.Keys).Order(StringComparer.Ordinal))
        {
            double perJob = (busy.GetValueOrDefault(category) - (baseline.GetValueOrDefault(category) * scale)) / jobs;
            total += perJob;
            table.Row(category, perJob, baseline.GetValueOrDefault(category) / idle.TotalSeconds);
        }

        table.Row("total", total, baseline.Values.Sum() / idle.TotalSeconds).Print();
        Console.WriteLine($"\nWindow: {(to - from).TotalSeconds:0.0} s busy, {idle.TotalSeconds:0} s idle; {busy.Values.Sum()} requests in the busy window.");
    }

    // ---- shared ---------------------------------------------------------------------------------------------------

    internal const string ThisProcess = "this process";
    internal const string Sidecars = "sidecars";
    internal const string Workers = "workers";
    internal const string AzuriteRole = "Azurite";

    internal static IEnumerable<(string, int)> Processes(ScaleOutRig rig, BenchAzurite azurite)
    {
        yield return (ThisProcess, Environment.ProcessId);
        if (azurite.Azurite.ProcessId is { } node)
        {
            yield return (AzuriteRole, node);
        }

        foreach (var process in rig.Instances.SelectMany(i => i.Processes))
        {
            yield return (process.Name.Contains("sidecar", StringComparison.Ordinal) ? Sidecars : Workers, process.Id);
        }
    }

    /// <summary>Two jobs per instance through the front (JIT everywhere, containers, JWKS), then their traces are forgotten.</summary>
    private static async Task WarmUpAsync(ScaleOutRig rig)
    {
        var (_, posts) = await ScaleOutBurst.PostAllAsync(rig, 2 * rig.Instances.Count, () => Jobs.Body(1));
        await rig.WaitForJobsAsync(posts.Select(p => p.JobId).OfType<string>().ToList(), TimeSpan.FromMinutes(3));
        await foreach (var blob in rig.Videos.GetBlobsAsync(new GetBlobsOptions()))
        {
            await rig.Videos.DeleteBlobAsync(blob.Name);
        }

        rig.Fal.State.Reset();
    }
}
