using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using FalEmulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VeoFunctions.Archive;
using VeoFunctions.Jobs;

namespace VeoFunctions.Bench;

/// <summary>
/// A 200 MB video from the emulator's CDN into Azurite: through the app's own <see cref="VideoArchive"/> (resolved
/// from the app's DI registrations), against a plain HTTP-to-file copy of the same URL, and Blob Storage's
/// server-side copies (zero bytes through the app) if Azurite accepts them.
/// </summary>
internal static class ArchiveBench
{
    private const long VideoBytes = 200L * 1000 * 1000;
    private const int Rounds = 3;

    public static async Task RunAsync(BenchAzurite azurite)
    {
        await using var fal = await FalEmulatorHost.StartAsync(new EmulatorOptions
        {
            QueueTime = TimeSpan.Zero,
            GenerationTime = TimeSpan.Zero,
            VideoPaddingBytes = VideoBytes,
        });
        string videoUrl = await MakeVideoAsync(fal);
        string container = $"bench-archive-{Guid.NewGuid():N}"[..30];
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = azurite.Azurite.ConnectionString,
            ["Storage:VideosContainer"] = container,
            ["Storage:WorkContainer"] = container + "-w",
            ["Fal:Key"] = "test-id:test-secret",
            ["Jobs:PublicBaseUrl"] = "http://127.0.0.1:9",
            ["Images:AllowHttp"] = "true", // the emulator serves its video over http on loopback
            ["Images:AllowedPrivateHosts:0"] = "127.0.0.1",
            ["Fal:MediaHosts:0"] = "127.0.0.1",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddVeoFunctions().BuildServiceProvider();
        await using var disposeServices = services;
        using var plain = new HttpClient();
        string file = Path.Combine(Path.GetTempPath(), $"veo-bench-{Guid.NewGuid():N}.mp4");

        // Warm both paths once with the real thing (JIT, connections, container creation), not measured.
        long size = await CopyToFileAsync(plain, videoUrl, file);
        await ArchiveOnceAsync(services, videoUrl, size, "warmup");

        var fileRates = new List<double>();
        var archiveRates = new List<double>();
        var peaks = new List<Peak>();
        for (int round = 0; round < Rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            await CopyToFileAsync(plain, videoUrl, file);
            fileRates.Add(size / clock.Elapsed.TotalSeconds);

            var (seconds, peak) = await ArchiveOnceAsync(services, videoUrl, size, $"round-{round}");
            archiveRates.Add(size / seconds);
            peaks.Add(peak);
        }

        File.Delete(file);
        double fileRate = Stats.Median(fileRates), archiveRate = Stats.Median(archiveRates);
        var table = new Table($"3. Archive streaming — {size / 1e6:0} MB video, emulator -> Azurite (median of {Rounds} rounds; MB = 10^6 bytes)",
                "path", "MB/s", "ratio to HTTP->file", "peak working-set growth", "peak managed-heap growth", "allocated during copy")
            .Row("plain HTTP -> file (HttpClient, FileStream)", fileRate / 1e6, 1.0, "", "", "")
            .Row("app: VideoArchive.ArchiveAsync (HTTP -> block blob, 4 MB blocks, 2 in flight)", archiveRate / 1e6, archiveRate / fileRate,
                Mb(peaks.Max(p => p.WorkingSet)), Mb(peaks.Max(p => p.Managed)), Mb(peaks.Max(p => p.Allocated)));
        foreach (var (label, block, inFlight) in new[] { ("Azurite ingest ceiling: same SDK upload from memory, 4 MB blocks, 2 in flight", VideoArchive.BlockBytes, 2), ("Azurite ingest ceiling: from memory, 8 MB blocks, 8 in flight", 8 * 1024 * 1024, 8) })
        {
            double rate = await AzuriteCeilingAsync(azurite, container, size, block, inFlight);
            table.Row(label, rate / 1e6, rate / fileRate, "", "", "");
        }

        var serverSide = await ServerSideCopiesAsync(azurite, container, videoUrl, size);
        foreach (var row in serverSide)
        {
            table.Row(row.Path, row.Rate is { } r ? r / 1e6 : null, row.Rate is { } rr ? rr / fileRate : null, row.Note, "", "");
        }

        table.Print();
        Console.WriteLine($"""

            Rounds (MB/s): file {string.Join(" / ", fileRates.Select(r => (r / 1e6).ToString("0")))}; archive {string.Join(" / ", archiveRates.Select(r => (r / 1e6).ToString("0")))}.
            Memory: sampled every 5 ms during the archive only, growth above the value just before it (whole process, which
            also hosts the emulator serving the bytes; Azurite is a separate node process and is not counted).
            "allocated" = GC.GetTotalAllocatedBytes delta (garbage made, not memory held). Goals: ratio >= 0.8, growth <= 32 MB.
            The app streams (VideoArchive: GET with ResponseHeadersRead -> BlobClient.UploadAsync(stream), staged blocks + commit).
            """);
        foreach (var row in serverSide.Where(r => r.Answer is not null))
        {
            Console.WriteLine($"Server-side copy, {row.Path}: {row.Answer}");
        }
    }

    private static string Mb(long bytes) => $"{bytes / 1e6:0.0} MB";

    private sealed record Peak(long WorkingSet, long Managed, long Allocated);

    private sealed record ServerSideRow(string Path, double? Rate, string Note, string? Answer);

    private static async Task<string> MakeVideoAsync(FalEmulatorHost fal)
    {
        using var http = new HttpClient { BaseAddress = new Uri(fal.BaseUrl) };
        http.DefaultRequestHeaders.Add("Authorization", "Key test-id:test-secret");
        using var submitted = await http.PostAsJsonAsync("/fal-ai/veo3.1/reference-to-video", new { prompt = "benchmark", image_urls = new[] { Jobs.SmallPng } });
        var queued = JsonNode.Parse(await submitted.EnsureSuccessStatusCode().Content.ReadAsStringAsync())!;
        string requestId = (string)queued["request_id"]!;
        await fal.State.WaitForCompletionAsync(requestId, TimeSpan.FromSeconds(30));
        using var result = await http.GetAsync((string)queued["response_url"]!);
        return (string)JsonNode.Parse(await result.EnsureSuccessStatusCode().Content.ReadAsStringAsync())!["video"]!["url"]!;
    }

    private static async Task<long> CopyToFileAsync(HttpClient http, string url, string file)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var source = await response.Content.ReadAsStreamAsync();
        await using var target = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        await source.CopyToAsync(target);
        return target.Length;
    }

    private static async Task<(double Seconds, Peak Peak)> ArchiveOnceAsync(IServiceProvider services, string url, long size, string jobId)
    {
        var archive = services.GetRequiredService<VideoArchive>();
        var request = new ArchiveRequest($"bench{jobId}", "req-" + jobId, url, size, new VideoRequest("benchmark"), 1,
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        long ws0 = process.WorkingSet64, heap0 = GC.GetTotalMemory(false), alloc0 = GC.GetTotalAllocatedBytes();
        long wsMax = ws0, heapMax = heap0;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                process.Refresh();
                wsMax = Math.Max(wsMax, process.WorkingSet64);
                heapMax = Math.Max(heapMax, GC.GetTotalMemory(false));
                try
                {
                    await Task.Delay(5, stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
        var clock = Stopwatch.StartNew();
        var archived = await archive.ArchiveAsync(request, CancellationToken.None);
        double seconds = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        await sampler;
        if (archived.Bytes != size)
        {
            throw new InvalidOperationException($"Archived {archived.Bytes} bytes, expected {size}.");
        }

        return (seconds, new Peak(wsMax - ws0, heapMax - heap0, GC.GetTotalAllocatedBytes() - alloc0));
    }

    /// <summary>What Azurite itself can take: the same upload call fed from a buffer in memory (no HTTP source).</summary>
    private static async Task<double> AzuriteCeilingAsync(BenchAzurite azurite, string containerName, long size, int block, int inFlight)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes.AsSpan(0, 4096));
        var blob = new BlobContainerClient(azurite.Azurite.ConnectionString, containerName).GetBlobClient($"ceiling/{block}-{inFlight}.bin");
        var options = new Azure.Storage.Blobs.Models.BlobUploadOptions
        {
            TransferOptions = new Azure.Storage.StorageTransferOptions { InitialTransferSize = block, MaximumTransferSize = block, MaximumConcurrency = inFlight },
        };
        var rates = new List<double>();
        for (int round = 0; round < 1; round++)
        {
            using var source = new MemoryStream(bytes, writable: false);
            var clock = Stopwatch.StartNew();
            await blob.UploadAsync(source, options);
            rates.Add(size / clock.Elapsed.TotalSeconds);
        }

        return rates.Max();
    }

    private static async Task<List<ServerSideRow>> ServerSideCopiesAsync(BenchAzurite azurite, string containerName, string url, long size)
    {
        var container = new BlobContainerClient(azurite.Azurite.ConnectionString, containerName);
        await container.CreateIfNotExistsAsync();
        var rows = new List<ServerSideRow>
        {
            await TryAsync("Put Blob From URL (BlockBlobClient.SyncUploadFromUriAsync)", size, () =>
                container.GetBlockBlobClient("server-side/put-from-url.mp4").SyncUploadFromUriAsync(new Uri(url), overwrite: true)),
            await TryAsync("Copy Blob From URL (BlobClient.SyncCopyFromUriAsync)", size, () =>
                container.GetBlobClient("server-side/sync-copy.mp4").SyncCopyFromUriAsync(new Uri(url))),
            await TryAsync("Copy Blob, async (BlobClient.StartCopyFromUriAsync + wait)", size, async () =>
            {
                var copy = await container.GetBlobClient("server-side/async-copy.mp4").StartCopyFromUriAsync(new Uri(url));
                await copy.WaitForCompletionAsync();
            }),
        };
        return rows;
    }

    private static async Task<ServerSideRow> TryAsync(string path, long size, Func<Task> copy)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await copy();
            return new ServerSideRow(path, size / clock.Elapsed.TotalSeconds, "0 bytes through the app", null);
        }
        catch (RequestFailedException ex)
        {
            string message = ex.Message.Split('\n')[0].Trim();
            return new ServerSideRow(path, null, $"refused: HTTP {ex.Status} {ex.ErrorCode}", $"HTTP {ex.Status}, error code {ex.ErrorCode}: {message}");
        }
    }
}
