using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using VeoFunctions.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace VeoFunctions.Bench;

/// <summary>A plain-text table, printed with aligned columns (also valid Markdown).</summary>
internal sealed class Table(string title, params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public Table Row(params object?[] cells)
    {
        _rows.Add(cells.Select(Cell).ToArray());
        return this;
    }

    public void Print()
    {
        int[] widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        var text = new StringBuilder();
        text.AppendLine().Append("### ").AppendLine(title).AppendLine();
        Line(text, headers, widths);
        text.Append('|');
        foreach (int w in widths)
        {
            text.Append(new string('-', w + 2)).Append('|');
        }

        text.AppendLine();
        foreach (var row in _rows)
        {
            Line(text, row, widths);
        }

        Console.Write(text.ToString());
    }

    private static void Line(StringBuilder text, string[] cells, int[] widths)
    {
        text.Append('|');
        for (int i = 0; i < widths.Length; i++)
        {
            string cell = i < cells.Length ? cells[i] : "";
            text.Append(' ').Append(cell.PadRight(widths[i])).Append(" |");
        }

        text.AppendLine();
    }

    private static string Cell(object? value) => value switch
    {
        null => "",
        double d => d.ToString(Math.Abs(d) >= 100 ? "0" : Math.Abs(d) >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture),
        TimeSpan t => Ms(t),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    public static string Ms(TimeSpan t) => t.TotalMilliseconds >= 10_000
        ? (t.TotalSeconds).ToString("0.00", CultureInfo.InvariantCulture) + " s"
        : t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";
}

internal static class Stats
{
    /// <summary>Nearest-rank percentile of a sample (p in 0..100).</summary>
    public static TimeSpan Percentile(IReadOnlyList<TimeSpan> sample, double p)
    {
        if (sample.Count == 0)
        {
            return TimeSpan.Zero;
        }

        var sorted = sample.OrderBy(t => t).ToList();
        int rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public static double Median(IReadOnlyList<double> sample) => sample.Count == 0 ? 0 : sample.OrderBy(x => x).ElementAt(sample.Count / 2);
}

internal static class Machine
{
    public static void Print()
    {
        var table = new Table("Machine", "what", "value")
            .Row("CPU", $"{Environment.ProcessorCount} logical cores (nproc) — {CpuModel()}")
            .Row("memory", $"{MemTotalMb() / 1024.0:0.0} GiB")
            .Row("OS", RuntimeInformation.OSDescription)
            .Row(".NET", $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.ProcessArchitecture}), {(GCSettings.IsServerGC ? "server" : "workstation")} GC, {(Debugger.IsAttached ? "debugger" : "Release build")}")
            .Row("Azurite", $"{AzuriteVersion()} (node, in-memory persistence, loopback)")
            .Row("durable engine", "Microsoft.DurableTask.InProcessTestHost 0.2.3-preview.1 (in-memory) unless stated");
        table.Print();
    }

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static long MemTotalMb()
    {
        try
        {
            string? line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string AzuriteVersion()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string package = Path.Combine(dir.FullName, "node_modules", "azurite", "package.json");
            if (File.Exists(package))
            {
                using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(package));
                return "Azurite " + json.RootElement.GetProperty("version").GetString();
            }
        }

        return "Azurite ?";
    }
}

/// <summary>Job bodies, as a client would POST them.</summary>
internal static class Jobs
{
    public static readonly string SmallPng = TestImages.DataUri(TestImages.Png(32, 24));
    public static readonly string OtherPng = TestImages.DataUri(TestImages.Png(16, 16));

    public static object Body(int images = 2, string prompt = "A chimpanzee in overalls plays with butterflies") => new
    {
        prompt,
        image_urls = images == 1 ? new[] { SmallPng } : new[] { SmallPng, OtherPng }.Take(images).ToArray(),
        aspect_ratio = "16:9",
        resolution = "720p",
        generate_audio = false,
    };

    public static string Seconds(TimeSpan t) => t.ToString("c", CultureInfo.InvariantCulture);
}

/// <summary>A real Azurite for the whole run (the integration tests' fixture, started by hand).</summary>
internal sealed class BenchAzurite : IAsyncDisposable
{
    private BenchAzurite(Azurite azurite) => Azurite = azurite;

    public Azurite Azurite { get; }

    /// <param name="debugLog">Where Azurite logs every request it serves (to count storage transactions), or null.</param>
    /// <param name="onDisk">Keep the data in a fresh directory on disk (deleted at dispose) rather than in memory.</param>
    public static async Task<BenchAzurite> StartAsync(string? debugLog = null, bool onDisk = false)
    {
        var azurite = new Azurite
        {
            DebugLogPath = debugLog,
            Location = onDisk ? Directory.CreateTempSubdirectory("veo-bench-azurite-").FullName : null,
        };
        try
        {
            await azurite.InitializeAsync();
        }
        catch
        {
            await DisposeAsync(azurite);
            throw;
        }

        return new BenchAzurite(azurite);
    }

    public ValueTask DisposeAsync() => DisposeAsync(Azurite);

    // Azurite first (it holds the files), then its directory: an on-disk run can leave tens of GB behind otherwise.
    private static async ValueTask DisposeAsync(Azurite azurite)
    {
        await azurite.DisposeAsync();
        if (azurite.Location is { } location && Directory.Exists(location))
        {
            Directory.Delete(location, recursive: true);
            Console.WriteLine($"(Azurite's directory {location} deleted)");
        }
    }
}

/// <summary>
/// A rig's log (its own lines, then the helper processes' output at dispose): kept, printed only on failure. With
/// <c>echoRigLines</c>, the rig's own timestamped lines ("[  12.345s] …") are printed as they come.
/// </summary>
internal sealed class BufferedOutput(bool echoRigLines = false) : ITestOutputHelper
{
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return _lines.ToList();
            }
        }
    }

    public void WriteLine(string message)
    {
        if (echoRigLines && message.StartsWith('['))
        {
            Console.WriteLine(message);
        }

        lock (_gate)
        {
            _lines.Add(message);
        }
    }

    public void WriteLine(string format, params object[] args) => WriteLine(string.Format(CultureInfo.InvariantCulture, format, args));
}
