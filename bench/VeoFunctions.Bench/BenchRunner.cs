using System.Diagnostics;
using System.Globalization;

namespace VeoFunctions.Bench;

/// <summary>
/// Runs each measurement in a child process of its own (own Azurite, clean memory), some with a different
/// Environment.ProcessorCount (DOTNET_PROCESSOR_COUNT): the in-memory durable engine sizes its dispatchers by it.
/// </summary>
internal static class BenchRunner
{
    private static readonly string[] Sections = ["calls", "overhead", "overhead-azurestorage", "archive", "burst", "scaleout", "webhook-outage", "manifest", "budget"];

    /// <summary>host.json's extensions.durableTask.storageProvider.maxQueuePollingInterval, passed to the durable sidecar.</summary>
    public const string ProductionQueuePolling = "00:00:01";

    /// <summary>Engine slots for the "unthrottled test engine" runs: more than any number of work items in flight here.</summary>
    public const int ManySlots = 1024;

    /// <summary>Thread-pool minimum for the burst: the app's handlers block briefly under load and 2 (= cores) starves them.</summary>
    public const int BurstMinThreads = 64;

    private sealed record Run(string Section, string Variant, int? Slots, int? MinThreads = null, string? SidecarPolling = null);

    public static async Task<int> RunAsync(string[] args)
    {
        // The harness's hosts (the durable sidecar among them) log at Information to the console by default.
        Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");
        if (args is ["--child", var childSection, var childVariant, ..])
        {
            return await ChildAsync(childSection, childVariant);
        }

        var wanted = args.Length == 0 || args.Contains("all", StringComparer.OrdinalIgnoreCase)
            ? Sections
            : args.Select(a => a.ToLowerInvariant()).ToArray();

        // "scaleout:burst-3-kill" runs one variant of the section.
        // "manifest:200x3x8MiB" runs the manifest section at another size (entries x images per entry x bytes per image).
        if (wanted.Where(w => !Sections.Contains(w) && !(w.StartsWith("scaleout:", StringComparison.Ordinal) && ScaleOutBench.Variants.Contains(w["scaleout:".Length..]))
                && !(w.StartsWith("manifest:", StringComparison.Ordinal) && ManifestBench.Size.Parse(w["manifest:".Length..]) is not null)).ToList() is { Count: > 0 } unknown)
        {
            Console.Error.WriteLine($"Unknown section(s): {string.Join(", ", unknown)}. Use: all | {string.Join(" | ", Sections)} | scaleout:{string.Join("|", ScaleOutBench.Variants)} | manifest:ENTRIES[xIMAGES[xBYTES, e.g. 8MiB]]");
            return 2;
        }

        Console.WriteLine($"# VeoFunctions benchmark — {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC — sections: {string.Join(", ", wanted)}");
        Machine.Print();
        var runs = new List<Run>();
        foreach (string section in wanted)
        {
            runs.AddRange(section switch
            {
                "overhead" => [new Run(section, "default-sequential", null), new Run(section, "many-slots-paced", ManySlots)],
                "overhead-azurestorage" =>
                [
                    new Run(section, "paced", null, SidecarPolling: ProductionQueuePolling),
                    new Run(section, "paced-1s", null, SidecarPolling: ProductionQueuePolling),
                    new Run(section, "idle-queues", null, SidecarPolling: ProductionQueuePolling),
                ],
                "burst" => [new Run(section, "many-slots", ManySlots, BurstMinThreads)],
                "scaleout" => ScaleOutBench.Variants.Select(v => new Run(section, v, null)),
                _ when section.StartsWith("scaleout:", StringComparison.Ordinal) => [new Run("scaleout", section["scaleout:".Length..], null)],
                _ when section.StartsWith("manifest:", StringComparison.Ordinal) => [new Run("manifest", section["manifest:".Length..], null)],
                _ => [new Run(section, "default", null)],
            });
        }

        var total = Stopwatch.StartNew();
        int failures = 0;
        foreach (var run in runs)
        {
            var clock = Stopwatch.StartNew();
            Console.WriteLine($"\n## {run.Section} ({run.Variant}{(run.Slots is { } s ? $", DOTNET_PROCESSOR_COUNT={s}" : "")}{(run.MinThreads is { } m ? $", thread-pool min threads {m}" : "")}{(run.SidecarPolling is { } p ? $", sidecar queue polling {p}" : "")})");
            int code = await ChildProcessAsync(run);
            failures += code == 0 ? 0 : 1;
            Console.WriteLine($"\n(run {run.Section}/{run.Variant}: {clock.Elapsed.TotalSeconds:0.0} s{(code == 0 ? "" : $", exit code {code}")})");
        }

        Console.WriteLine($"\nTotal: {total.Elapsed.TotalSeconds:0.0} s");
        return failures == 0 ? 0 : 1;
    }

    private static async Task<int> ChildProcessAsync(Run run)
    {
        string self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(BenchRunner).Assembly.Location);
        }

        foreach (string arg in new[] { "--child", run.Section, run.Variant })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["BENCH_REAL_CPUS"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture);
        if (run.Slots is { } slots)
        {
            start.Environment["DOTNET_PROCESSOR_COUNT"] = slots.ToString(CultureInfo.InvariantCulture);
        }

        if (run.MinThreads is { } minThreads && Environment.GetEnvironmentVariable("BENCH_MIN_THREADS") is null)
        {
            start.Environment["BENCH_MIN_THREADS"] = minThreads.ToString(CultureInfo.InvariantCulture);
        }

        if (run.SidecarPolling is { } polling)
        {
            // Inherited by the durable sidecar process the child starts (its setting Sidecar:PollingInterval).
            start.Environment["Sidecar__PollingInterval"] = polling;
        }

        using var child = Process.Start(start)!;
        await child.WaitForExitAsync();
        return child.ExitCode;
    }

    private static async Task<int> ChildAsync(string section, string variant)
    {
        // A raised DOTNET_PROCESSOR_COUNT is meant for the durable engine only: keep the thread pool as on the real machine.
        if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_REAL_CPUS"), CultureInfo.InvariantCulture, out int real) && real < Environment.ProcessorCount)
        {
            ThreadPool.GetMinThreads(out _, out int io);
            ThreadPool.SetMinThreads(real, Math.Min(io, real));
        }

        if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_MIN_THREADS"), CultureInfo.InvariantCulture, out int minThreads))
        {
            ThreadPool.GetMinThreads(out _, out int io);
            ThreadPool.SetMinThreads(minThreads, Math.Max(io, minThreads));
        }

        // The manifest section stores gigabytes of images: on disk, as Azure would, not in Azurite's memory.
        await using var azurite = await BenchAzurite.StartAsync(section == "scaleout" ? ScaleOutBench.DebugLogFor(variant) : null, onDisk: section == "manifest");
        try
        {
            switch (section)
            {
                case "calls":
                    await CallsBench.RunAsync(azurite);
                    break;
                case "overhead" when variant == "default-sequential":
                    await OverheadBench.RunAsync(azurite, 20, TimeSpan.Zero, "test engine as shipped");
                    break;
                case "overhead":
                    await OverheadBench.RunAsync(azurite, 200, TimeSpan.FromMilliseconds(100), $"test engine with {Environment.ProcessorCount} slots");
                    break;
                case "overhead-azurestorage" when variant == "paced":
                    await OverheadAzureStorageBench.RunAsync(azurite, 200, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), "Azure Storage backend, paced");
                    break;
                case "overhead-azurestorage" when variant == "paced-1s":
                    await OverheadAzureStorageBench.RunAsync(azurite, 100, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(500), "Azure Storage backend, paced at 1 job/s");
                    break;
                case "overhead-azurestorage":
                    // A webhook every 4 s and a 3 s generation: the queues sit empty for ~3 s before each webhook, so
                    // their polling has backed off to its maximum, as in production between jobs (generation ~60 s).
                    await OverheadAzureStorageBench.RunAsync(azurite, 30, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(3), "Azure Storage backend, idle queues");
                    break;
                case "archive":
                    await ArchiveBench.RunAsync(azurite);
                    break;
                case "burst":
                    await BurstBench.RunAsync(azurite);
                    break;
                case "scaleout":
                    await ScaleOutBench.RunAsync(azurite, variant);
                    break;
                case "webhook-outage":
                    await WebhookOutageBench.RunAsync(azurite);
                    break;
                case "manifest":
                    await ManifestBench.RunAsync(azurite, variant);
                    break;
                case "budget":
                    await BudgetBench.RunAsync(azurite);
                    break;
            }

            return 0;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Console.WriteLine($"\n!! {section}/{variant} failed: {ex}");
            return 1;
        }
    }
}
