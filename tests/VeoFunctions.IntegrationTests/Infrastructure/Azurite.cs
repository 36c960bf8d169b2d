using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// A real Azurite (from the repo's node_modules, installed by <c>npm ci</c>) on private loopback ports,
/// in memory, for the whole test run. Missing Azurite fails loudly: these tests never skip silently.
/// </summary>
public sealed class Azurite : IAsyncLifetime
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private Process? _process;

    public int BlobPort { get; } = LoopbackPorts.Free();

    public int QueuePort { get; } = LoopbackPorts.Free();

    public int TablePort { get; } = LoopbackPorts.Free();

    /// <summary>Where Azurite writes its debug log (every request it serves), or null for none: for counting storage transactions.</summary>
    public string? DebugLogPath { get; init; }

    /// <summary>A directory for Azurite to keep its data on disk, or null to keep it in memory (the tests).</summary>
    public string? Location { get; init; }

    /// <summary>The Azurite process (its CPU time is part of a benchmark's cost).</summary>
    public int? ProcessId => _process?.Id;

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";

    public async Task InitializeAsync()
    {
        string executable = Locate();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (string arg in new[]
        {
            "--silent", "--skipApiVersionCheck", "--loose",
            "--blobHost", "127.0.0.1", "--blobPort", $"{BlobPort}",
            "--queueHost", "127.0.0.1", "--queuePort", $"{QueuePort}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{TablePort}",
        })
        {
            start.ArgumentList.Add(arg);
        }

        if (Location is null)
        {
            start.ArgumentList.Add("--inMemoryPersistence");
        }
        else
        {
            start.ArgumentList.Add("--location");
            start.ArgumentList.Add(Location);
        }

        if (DebugLogPath is not null)
        {
            start.ArgumentList.Add("--debug");
            start.ArgumentList.Add(DebugLogPath);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        foreach (int port in new[] { BlobPort, QueuePort, TablePort })
        {
            await WaitForPortAsync(port, Patience.Start);
        }
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        return Task.CompletedTask;
    }

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("AZURITE_PATH") is { Length: > 0 } configured)
        {
            return configured;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "node_modules", ".bin", "azurite");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("Azurite was not found: run 'npm ci' at the repository root (scripts/test does), or set AZURITE_PATH.");
    }

    private async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode} before listening on {port}.");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"Azurite did not listen on port {port} within {timeout}.");
    }
}

// The integration tests mostly wait (durable timers, queue polling, helper processes starting), so they run in a few
// collections side by side, each with an Azurite of its own; the tests of one collection run one after another.

/// <summary>The app in process on the Durable Task test engine.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<Azurite>
{
    public const string Name = "Azurite";
}

/// <summary>The app in process too: the manifest door's batches and the budget's concurrency, the heaviest of those.</summary>
[CollectionDefinition(Name)]
public sealed class BatchesCollection : ICollectionFixture<Azurite>
{
    public const string Name = "Batches";
}

/// <summary>The production backend in sidecar processes, the app's worker in another (crash and deploy tests).</summary>
[CollectionDefinition(Name)]
public sealed class ProductionBackendCollection : ICollectionFixture<Azurite>
{
    public const string Name = "ProductionBackend";
}

/// <summary>Three app instances on one task hub.</summary>
[CollectionDefinition(Name)]
public sealed class ScaleOutCollection : ICollectionFixture<Azurite>
{
    public const string Name = "ScaleOut";
}

/// <summary>Tests that listen to something process-wide (the app's meter): they run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection : ICollectionFixture<Azurite>
{
    public const string Name = "ProcessWide";
}
