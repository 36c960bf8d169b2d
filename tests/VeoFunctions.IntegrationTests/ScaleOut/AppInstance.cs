using System.Globalization;
using Grpc.Net.Client;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Grpc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests.ScaleOut;

/// <summary>
/// One instance of the Function App, as Flex Consumption runs it: its own durable backend (a tests/DurableSidecar
/// process: AzureStorageOrchestrationService on the shared task hub, with a stable worker id), its own durable worker
/// (a tests/VeoWorker process: the app's orchestrator and activities) and its own HTTP doors (the app's functions in
/// this process, their durable client talking to this instance's sidecar). It can be SIGKILLed (sidecar and worker at
/// once) and started again under the same worker id, as a restarted instance would be.
/// </summary>
public sealed class AppInstance : IAsyncDisposable
{
    private static TimeSpan StartTimeout => Patience.Start;

    private readonly IReadOnlyDictionary<string, string> _sidecarEnvironment;
    private readonly IReadOnlyDictionary<string, string> _workerEnvironment;
    private readonly IConfiguration _configuration;
    private readonly List<ChildProcess> _processes = [];
    private readonly int _sidecarPort;
    private readonly string _appVersion;
    private GrpcChannel? _channel;
    private GrpcDurableTaskClient? _grpcClient;
    private readonly bool _withWorker;
    private int _starts;

    /// <param name="configuration">The app's settings, this instance's own object: the doors' host writes its listening
    /// address into the configuration it is given (<c>UseUrls</c> sets <c>urls</c> through every source, a chained one
    /// included), so instances sharing one object would bind each other's ports.</param>
    internal AppInstance(int index, string workerId, int sidecarPort, IConfiguration configuration,
        IReadOnlyDictionary<string, string> sidecarEnvironment, IReadOnlyDictionary<string, string> workerEnvironment, string? appVersion, bool withWorker = true)
    {
        _withWorker = withWorker;
        Index = index;
        WorkerId = workerId;
        _configuration = configuration;
        _sidecarEnvironment = sidecarEnvironment;
        _workerEnvironment = workerEnvironment;
        _sidecarPort = sidecarPort;
        _appVersion = appVersion ?? "";
    }

    public int Index { get; }

    /// <summary>The sidecar's worker id: its name in the partition table, the same across restarts.</summary>
    public string WorkerId { get; }

    /// <summary>This instance's durable client, as its HTTP functions get it (a new one each time the instance starts).</summary>
    public HostLikeDurableClient Client { get; private set; } = null!;

    public FunctionsHttpHost? Doors { get; private set; }

    public ChildProcess? Sidecar { get; private set; }

    public ChildProcess? Worker { get; private set; }

    /// <summary>Sidecar, worker (unless started without one) and doors are running.</summary>
    public bool IsUp => Doors is not null && Sidecar is { HasExited: false } && (!_withWorker || Worker is { HasExited: false });

    /// <summary>Every process this instance ran, restarts included (their output goes to the test log).</summary>
    public IReadOnlyList<ChildProcess> Processes => _processes;

    public override string ToString() => $"instance {Index} ({WorkerId})";

    /// <summary>
    /// Starts the sidecar (waits until it serves), then the worker (waits until the sidecar has its work-item stream:
    /// only then does the sidecar start its dispatchers and its partition manager), then the doors.
    /// </summary>
    public async Task StartAsync()
    {
        if (IsUp)
        {
            throw new InvalidOperationException($"{this} is already running.");
        }

        int start = ++_starts;
        Sidecar = ChildProcess.Start(string.Create(CultureInfo.InvariantCulture, $"i{Index}-sidecar#{start}"), HelperExecutables.DurableSidecar, [], _sidecarEnvironment);
        _processes.Add(Sidecar);
        await Sidecar.WaitForLineAsync(line => line.StartsWith("SIDECAR: ready", StringComparison.Ordinal), StartTimeout, "that it serves");

        if (_withWorker)
        {
            int after = Sidecar.LineCount;
            Worker = ChildProcess.Start(string.Create(CultureInfo.InvariantCulture, $"i{Index}-worker#{start}"), HelperExecutables.VeoWorker, [], _workerEnvironment);
            _processes.Add(Worker);
            await Sidecar.WaitForLineAsync(line => line.StartsWith("SIDECAR: worker connected", StringComparison.Ordinal), StartTimeout, "a connected worker", after);
        }

        // A restarted instance is a new process: its client gets a new channel, not one that saw the old backend die
        // (that one fails its first calls while it backs off, which no real instance would do).
        await DisposeClientAsync();
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_sidecarPort}");

        // What the Functions host hands the app's functions: a client of this instance's own backend, stamping
        // host.json's defaultVersion on new instances, and as strict as the host's (HostLikeDurableClient).
        _grpcClient = new GrpcDurableTaskClient($"instance{Index}", new GrpcDurableTaskClientOptions { Channel = _channel, DefaultVersion = _appVersion }, NullLogger.Instance);
        Client = new HostLikeDurableClient(_grpcClient);
        Doors = await StartDoorsAsync();
    }

    /// <summary>
    /// The instance vanishes: sidecar and worker get SIGKILL at once (no lease released, no work item handed back),
    /// then its doors stop. The caller takes it out of the front first, as the platform stops routing to a dead instance.
    /// </summary>
    public async Task KillAsync()
    {
        var sidecar = Sidecar ?? throw new InvalidOperationException($"{this} never started.");
        await Task.WhenAll(sidecar.KillAsync(), Worker?.KillAsync() ?? Task.CompletedTask);
        await StopDoorsAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        await StopDoorsAsync();
        await DisposeClientAsync();
    }

    // A port picked free can be taken before Kestrel binds it (another server of this run starting meanwhile): pick again.
    private async Task<FunctionsHttpHost> StartDoorsAsync()
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await FunctionsHttpHost.StartAsync(LoopbackPorts.Free(), _configuration, Client);
            }
            catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException && attempt < 5)
            {
            }
        }
    }

    private async Task DisposeClientAsync()
    {
        if (_grpcClient is not null)
        {
            await _grpcClient.DisposeAsync();
            _grpcClient = null;
        }

        _channel?.Dispose();
        _channel = null;
    }

    private async Task StopDoorsAsync()
    {
        if (Doors is { } doors)
        {
            Doors = null;
            await doors.DisposeAsync();
        }
    }
}
