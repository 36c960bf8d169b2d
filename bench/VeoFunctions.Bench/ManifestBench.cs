using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using VeoFunctions.Functions;
using VeoFunctions.Images;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.IntegrationTests.ScaleOut;
using VeoFunctions.Manifests;
using VeoFunctions.Testing;

namespace VeoFunctions.Bench;

/// <summary>
/// Issue 16 case 4: a manifest of 1,000 entries, each naming 3 distinct private 8 MB images, taken in by the app's
/// manifest door as the host runs it (<see cref="StartManifestJobs"/> resolved from the app's services, handed the
/// blob and a durable client) on the production durable backend (one sidecar on Azurite, no workers: the jobs wait in
/// the task hub, so what is measured is the intake alone). Azurite keeps its data on disk. Prints the intake's wall
/// time against the function timeout, this process's peak working set above its baseline, the bytes it read and the
/// jobs started. Sizes are parameters (<c>manifest:ENTRIES[xIMAGES[xBYTES]]</c>) for a scaled run.
/// </summary>
internal static class ManifestBench
{
    private const int UploadConcurrency = 4;
    private static readonly TimeSpan MemorySampleEvery = TimeSpan.FromMilliseconds(20);

    /// <summary>A batch's shape: entries, private images per entry (all distinct), bytes per image.</summary>
    public sealed record Size(int Entries, int ImagesPerEntry, int ImageBytes)
    {
        /// <summary>The case as the issue states it: the most entries a manifest may have, 3 images each, each as large as accepted.</summary>
        public static Size Full => new(1000, 3, new ImageOptions().MaxImageBytes);

        public int Images => Entries * ImagesPerEntry;

        public long TotalBytes => (long)Images * ImageBytes;

        /// <summary>"default" (the full case), or "200", "200x3", "200x3x8MiB", "50x2x1048576".</summary>
        public static Size? Parse(string variant)
        {
            if (variant == "default")
            {
                return Full;
            }

            string[] parts = variant.Split('x');
            if (parts.Length > 3 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out int entries) || entries < 1)
            {
                return null;
            }

            int perEntry = Full.ImagesPerEntry, bytes = Full.ImageBytes;
            if (parts.Length > 1 && (!int.TryParse(parts[1], CultureInfo.InvariantCulture, out perEntry) || perEntry is < 1 or > 3))
            {
                return null;
            }

            if (parts.Length > 2)
            {
                if (ParseBytes(parts[2]) is not { } parsed)
                {
                    return null;
                }

                bytes = parsed;
            }

            return bytes < MinImageBytes ? null : new Size(entries, perEntry, bytes);
        }

        private static int? ParseBytes(string text)
        {
            int unit = text.EndsWith("MiB", StringComparison.OrdinalIgnoreCase) ? 1 << 20 : text.EndsWith("KiB", StringComparison.OrdinalIgnoreCase) ? 1 << 10 : 1;
            string number = unit == 1 ? text : text[..^3];
            return int.TryParse(number, CultureInfo.InvariantCulture, out int n) && (long)n * unit <= int.MaxValue ? n * unit : null;
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Entries} entries × {ImagesPerEntry} private images of {ImageBytes:N0} bytes ({Images:N0} distinct blobs, {TotalBytes / 1e9:0.00} GB)");
    }

    public static async Task RunAsync(BenchAzurite azurite, string variant)
    {
        var size = Size.Parse(variant) ?? throw new ArgumentException($"Not a manifest size: {variant}");
        Console.WriteLine($"Batch: {size}. Azurite on disk at {azurite.Azurite.Location}.");
        var output = new BufferedOutput();
        try
        {
            await using var rig = await ScaleOutRig.StartAsync(azurite.Azurite, output, new ScaleOutOptions { Instances = 1, Workers = false });
            await MeasureAsync(rig, azurite, size);
        }
        catch
        {
            Console.WriteLine("--- rig output (last 100 lines) ---");
            foreach (string line in output.Lines.TakeLast(100))
            {
                Console.WriteLine(line);
            }

            throw;
        }
    }

    private static async Task MeasureAsync(ScaleOutRig rig, BenchAzurite azurite, Size size)
    {
        var instance = rig.Instances[0];
        var service = new BlobServiceClient(rig.Configuration["Storage:ConnectionString"]);
        var images = service.GetBlobContainerClient(rig.Configuration["Storage:ImagesContainer"]);
        var jobs = service.GetBlobContainerClient(rig.Configuration["Storage:JobsContainer"]);
        await images.CreateIfNotExistsAsync(); // private, as the deployment creates them
        await jobs.CreateIfNotExistsAsync();

        using var sockets = new SocketBytes(); // counts only from here on
        var png = new StampedPng(size.ImageBytes);
        var upload = await UploadImagesAsync(images, png, size);

        // Warm-up (JIT of the door's whole path, the containers, the sidecar's tables): a small batch, not measured.
        await ManifestDoor.UploadAsync(images, "warmup/a.png", TestImages.Png(32, 24));
        await ManifestDoor.UploadAsync(images, "warmup/b.png", TestImages.Png(24, 32));
        await DeliverAsync(instance, await ManifestDoor.UploadAsync(jobs, "warmup/batch.json", Manifest(2, i => [$"{images.Name}/warmup/{(i == 0 ? "a" : "b")}.png"])));
        int before = await CountJobsAsync(instance.Client);

        var manifestBytes = Manifest(size.Entries, e => Enumerable.Range(0, size.ImagesPerEntry).Select(k => $"{images.Name}/{ImageName((e * size.ImagesPerEntry) + k)}").ToArray());
        var manifest = await ManifestDoor.UploadAsync(jobs, "bench/batch.json", manifestBytes);

        string load0 = LoadAverage();
        var machine0 = MachineCpu.Read();
        var bytes0 = await sockets.NowAsync();
        await using var cpu = new CpuMeter(() => ScaleOutBench.Processes(rig, azurite));
        using var memory = MemoryWatch.Start(MemorySampleEvery);
        var from = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await DeliverAsync(instance, manifest);
        var wall = clock.Elapsed;
        var to = DateTimeOffset.UtcNow;
        var peak = await memory.StopAsync();
        var machine = MachineCpu.Read().Since(machine0);
        string load1 = LoadAverage();
        var bytes = (await sockets.NowAsync()).Since(bytes0); // also one more CPU reading past the end
        var spent = cpu.Between(from, to);

        var scheduled = (await instance.Client.GetAllInstancesAsync(new OrchestrationQuery { PageSize = 1000, CreatedFrom = from }).ToListAsync())
            .Select(i => i.CreatedAt).Order().ToList();
        int started = await CountJobsAsync(instance.Client) - before;
        var result = await ReadJsonAsync(jobs, ManifestFiles.ResultName(manifest.Name));
        bool errorFile = await jobs.GetBlobClient(ManifestFiles.ErrorName(manifest.Name)).ExistsAsync();
        var timeout = FunctionTimeout();

        new Table($"Manifest intake — {size}", "what", "value")
            .Row("images uploaded before the run (setup, not measured)", $"{size.Images:N0} in {upload.TotalSeconds:0} s ({size.TotalBytes / upload.TotalSeconds / 1e6:0} MB/s), {StampedPng.PixelWidth}×{png.Height} PNG each")
            .Row("manifest", $"{manifestBytes.Length:N0} bytes, {size.Entries} entries")
            .Row("**intake wall time** (delivery → the function returned)", Table.Ms(wall))
            .Row("host.json functionTimeout", $"{timeout:c} (intake used {wall / timeout:P1} of it)")
            .Row("jobs started (orchestrations scheduled in the task hub)", $"{started} of {size.Entries}{(errorFile ? "; AN ERROR FILE WAS WRITTEN" : "")}")
            .Row("first / last job scheduled (after the delivery began)", scheduled.Count == 0 ? "none" : $"{Table.Ms(scheduled[0] - from)} / {Table.Ms(scheduled[^1] - from)}")
            .Row("result file counts", result is { } r ? JsonSerializer.Serialize(r.GetProperty("counts")) : "none")
            .Row("bytes this process's sockets received (storage reads + durable gRPC)", $"{bytes.Received / 1e9:0.000} GB = {(double)bytes.Received / size.TotalBytes:0.00} × the images named ({size.TotalBytes / 1e9:0.000} GB)")
            .Row("bytes this process's sockets sent (storage writes + durable gRPC)", $"{bytes.Sent / 1e9:0.000} GB = {(double)bytes.Sent / size.TotalBytes:0.00} × the images named")
            .Row("working set before the intake (after a full GC)", Mb(peak.BaselineWorkingSet))
            .Row($"**peak working set above that** (sampled every {MemorySampleEvery.TotalMilliseconds:0} ms)", Mb(peak.PeakWorkingSet - peak.BaselineWorkingSet))
            .Row("peak resident set above that (kernel's VmHWM, reset at the start)", peak.PeakResident is { } hwm ? Mb(hwm - peak.BaselineWorkingSet) : "n/a")
            .Row("peak managed heap above its baseline (GC.GetTotalMemory, sampled)", Mb(peak.PeakHeap - peak.BaselineHeap))
            .Row("allocated during the intake (garbage made, not held)", $"{peak.Allocated / 1e9:0.00} GB")
            .Row("GC collections during the intake: gen0 / gen1 / gen2", $"{peak.Collections[0]} / {peak.Collections[1]} / {peak.Collections[2]}")
            .Row("CPU: this process (door + emulator idle) / sidecar / Azurite", $"{Seconds(spent, ScaleOutBench.ThisProcess)} / {Seconds(spent, ScaleOutBench.Sidecars)} / {Seconds(spent, ScaleOutBench.AzuriteRole)}")
            .Row("machine during the intake (every process on the box)", $"CPU {machine.BusyShare:P0} busy; load average {load0} before, {load1} after")
            .Row("GC", $"{(GCSettings.IsServerGC ? "server" : "workstation")}, {(GCSettings.LatencyMode == GCLatencyMode.Interactive ? "concurrent" : GCSettings.LatencyMode.ToString())}")
            .Print();
        Console.WriteLine("""

            The working set is this process's: the app's manifest door (ManifestIntake through the app's DI), its durable
            client, and the idle fal emulator. The durable backend (sidecar) and Azurite are processes of their own and not
            counted. Baseline = after the uploads, the warm-up batch and a full GC, just before the delivery.
            """);
        if (started != size.Entries || errorFile)
        {
            throw new InvalidOperationException($"Expected {size.Entries} jobs started and no error file; got {started} and {(errorFile ? "an" : "no")} error file.");
        }
    }

    private static async Task DeliverAsync(AppInstance instance, BlobClient manifest)
    {
        var function = ActivatorUtilities.CreateInstance<StartManifestJobs>(instance.Doors!.Services);
        await function.RunAsync(manifest, instance.Client, CancellationToken.None);
    }

    private static string ImageName(int i) => string.Create(CultureInfo.InvariantCulture, $"bench/img-{i:D5}.png");

    private static byte[] Manifest(int entries, Func<int, string[]> imagesOf) => JsonSerializer.SerializeToUtf8Bytes(new JsonObject
    {
        ["jobs"] = new JsonArray([.. Enumerable.Range(0, entries).Select(e => (JsonNode)new JsonObject
        {
            ["id"] = string.Create(CultureInfo.InvariantCulture, $"clip-{e:D4}"),
            ["prompt"] = string.Create(CultureInfo.InvariantCulture, $"Clip {e}: a chimpanzee in overalls plays with butterflies"),
            ["image_urls"] = new JsonArray([.. imagesOf(e).Select(url => (JsonNode)url)]),
            ["aspect_ratio"] = "16:9",
            ["resolution"] = "720p",
            ["generate_audio"] = false,
        })]),
    });

    private static async Task<TimeSpan> UploadImagesAsync(BlobContainerClient images, StampedPng png, Size size)
    {
        var clock = Stopwatch.StartNew();
        int done = 0;
        int step = Math.Max(1, size.Images / 10);
        await Parallel.ForEachAsync(Enumerable.Range(0, UploadConcurrency), async (lane, ct) =>
        {
            byte[] buffer = png.Copy();
            for (int i = lane; i < size.Images; i += UploadConcurrency)
            {
                png.Stamp(buffer, i);
                using var stream = new MemoryStream(buffer, writable: false);
                await images.GetBlobClient(ImageName(i)).UploadAsync(stream, overwrite: true, ct);
                if (Interlocked.Increment(ref done) % step == 0)
                {
                    Console.WriteLine($"  uploaded {done:N0} of {size.Images:N0} images ({clock.Elapsed.TotalSeconds:0} s)");
                }
            }
        });
        return clock.Elapsed;
    }

    private static async Task<int> CountJobsAsync(DurableTaskClient client) =>
        await client.GetAllInstancesAsync(new OrchestrationQuery { PageSize = 1000 }).CountAsync();

    private static async Task<JsonElement?> ReadJsonAsync(BlobContainerClient container, string name)
    {
        var blob = container.GetBlobClient(name);
        return await blob.ExistsAsync() ? JsonDocument.Parse((await blob.DownloadContentAsync()).Value.Content.ToString()).RootElement : null;
    }

    private static TimeSpan FunctionTimeout()
    {
        using var hostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")));
        return TimeSpan.Parse(hostJson.RootElement.GetProperty("functionTimeout").GetString()!, CultureInfo.InvariantCulture);
    }

    private static string LoadAverage() => string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static string Seconds(Dictionary<string, TimeSpan> spent, string role) => $"{spent.GetValueOrDefault(role).TotalSeconds:0.0} s";

    private static string Mb(long bytes) => $"{bytes / 1e6:0.0} MB";

    /// <summary>The smallest image size the bench makes: a real PNG with a little pixel data and room for its stamp.</summary>
    private const int MinImageBytes = 64 * 1024;

    /// <summary>
    /// A real, decodable PNG (random RGB pixels, stored uncompressed: the IDAT is what a photo's bytes would be) of
    /// exactly the requested size, padded with a <c>tEXt</c> chunk. Each image gets its number written into that
    /// chunk (and its checksum fixed), so every blob is distinct while the 8 MB of pixels are made once.
    /// </summary>
    private sealed class StampedPng
    {
        public const int PixelWidth = 1024;
        private static readonly byte[] Keyword = "Comment\0"u8.ToArray();
        private readonly byte[] _image;
        private readonly int _chunk; // offset of the tEXt chunk's length field
        private readonly int _length;

        public StampedPng(int bytes)
        {
            int rows = Math.Max(1, (bytes - 16384) / (1 + (3 * PixelWidth)));
            byte[] pixels = TestImages.NoisyPng(PixelWidth, rows, seed: 16);
            Height = rows;
            _length = bytes - pixels.Length - 12;
            _chunk = pixels.Length - 12; // before IEND
            _image = new byte[bytes];
            pixels.AsSpan(0, _chunk).CopyTo(_image);
            BinaryPrimitives.WriteInt32BigEndian(_image.AsSpan(_chunk), _length);
            "tEXt"u8.CopyTo(_image.AsSpan(_chunk + 4));
            Keyword.CopyTo(_image.AsSpan(_chunk + 8));
            _image.AsSpan(_chunk + 8 + Keyword.Length, _length - Keyword.Length).Fill((byte)'.');
            pixels.AsSpan(pixels.Length - 12).CopyTo(_image.AsSpan(bytes - 12));
            Stamp(_image, 0);
            if (ImageInspector.Inspect(_image, new ImageOptions { MaxImageBytes = bytes }) is { IsAccepted: false } refused)
            {
                throw new InvalidOperationException($"The bench's image is refused: {refused.RejectionReason}");
            }
        }

        public int Height { get; }

        public byte[] Copy() => (byte[])_image.Clone();

        public void Stamp(byte[] image, int number)
        {
            Encoding.ASCII.GetBytes(number.ToString("D9", CultureInfo.InvariantCulture), image.AsSpan(_chunk + 8 + Keyword.Length));
            BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(_chunk + 8 + _length), Crc32.HashToUInt32(image.AsSpan(_chunk + 4, 4 + _length)));
        }
    }

    /// <summary>This process's memory, sampled on a timer from a baseline taken after a full GC.</summary>
    private sealed class MemoryWatch : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Process _process = Process.GetCurrentProcess();
        private readonly int[] _collections0 = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        private readonly long _allocated0 = GC.GetTotalAllocatedBytes();
        private readonly bool _peakReset;
        private long _peakWorkingSet, _peakHeap;
        private Task? _sampling;

        private MemoryWatch(long workingSet, long heap, bool peakReset)
        {
            BaselineWorkingSet = _peakWorkingSet = workingSet;
            BaselineHeap = _peakHeap = heap;
            _peakReset = peakReset;
        }

        public long BaselineWorkingSet { get; }

        public long BaselineHeap { get; }

        public static MemoryWatch Start(TimeSpan every)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using var process = Process.GetCurrentProcess();
            bool reset = ResetPeakResident();
            var watch = new MemoryWatch(process.WorkingSet64, GC.GetTotalMemory(false), reset);
            watch._sampling = watch.SampleAsync(every);
            return watch;
        }

        public async Task<MemoryPeak> StopAsync()
        {
            await _stop.CancelAsync();
            await _sampling!;
            Sample();
            return new MemoryPeak(BaselineWorkingSet, _peakWorkingSet, _peakReset ? PeakResident() : null, BaselineHeap, _peakHeap,
                GC.GetTotalAllocatedBytes() - _allocated0, [.. _collections0.Select((n, gen) => GC.CollectionCount(gen) - n)]);
        }

        public void Dispose()
        {
            _stop.Dispose();
            _process.Dispose();
        }

        private async Task SampleAsync(TimeSpan every)
        {
            while (!_stop.IsCancellationRequested)
            {
                Sample();
                try
                {
                    await Task.Delay(every, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        private void Sample()
        {
            _process.Refresh();
            _peakWorkingSet = Math.Max(_peakWorkingSet, _process.WorkingSet64);
            _peakHeap = Math.Max(_peakHeap, GC.GetTotalMemory(false));
        }

        // Linux: writing 5 to clear_refs resets the process's peak resident set (VmHWM) to its current one.
        private static bool ResetPeakResident()
        {
            try
            {
                File.WriteAllText("/proc/self/clear_refs", "5");
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }

        private static long PeakResident() => 1024 * long.Parse(
            File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(),
            CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// This process's socket traffic, from System.Net.Sockets' counters (bytes-received, bytes-sent). They count only
    /// while someone listens and are published once a second, so a reading waits for the next publication.
    /// </summary>
    private sealed class SocketBytes : EventListener
    {
        private long _received, _sent, _publications;

        public readonly record struct Reading(long Received, long Sent)
        {
            public Reading Since(Reading earlier) => new(Received - earlier.Received, Sent - earlier.Sent);
        }

        public async Task<Reading> NowAsync()
        {
            long seen = Interlocked.Read(ref _publications);
            await Poll.UntilAsync(() => Interlocked.Read(ref _publications) >= seen + 2, TimeSpan.FromMinutes(1), "a whole counter interval after now");
            return new Reading(Interlocked.Read(ref _received), Interlocked.Read(ref _sent));
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "System.Net.Sockets")
            {
                EnableEvents(eventSource, EventLevel.LogAlways, EventKeywords.All, new Dictionary<string, string?> { ["EventCounterIntervalSec"] = "1" });
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName != "EventCounters" || eventData.Payload is not [IDictionary<string, object?> counter, ..])
            {
                return;
            }

            long value = Convert.ToInt64(counter.TryGetValue("Mean", out object? mean) ? mean : 0, CultureInfo.InvariantCulture);
            switch (counter.TryGetValue("Name", out object? name) ? name as string : null)
            {
                case "bytes-received":
                    Interlocked.Exchange(ref _received, value);
                    break;
                case "bytes-sent":
                    Interlocked.Exchange(ref _sent, value);
                    Interlocked.Increment(ref _publications);
                    break;
            }
        }
    }

    private sealed record MemoryPeak(long BaselineWorkingSet, long PeakWorkingSet, long? PeakResident, long BaselineHeap, long PeakHeap, long Allocated, int[] Collections);

    /// <summary>The whole machine's CPU time from /proc/stat (every process, the other helpers' included).</summary>
    private readonly record struct MachineCpu(long Busy, long Total)
    {
        public double BusyShare => Total == 0 ? 0 : (double)Busy / Total;

        public static MachineCpu Read()
        {
            long[] ticks = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
                .Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
            long idle = ticks[3] + ticks[4]; // idle + iowait
            return new MachineCpu(ticks.Sum() - idle, ticks.Sum());
        }

        public MachineCpu Since(MachineCpu earlier) => new(Busy - earlier.Busy, Total - earlier.Total);
    }
}
