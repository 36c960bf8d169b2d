using System.Globalization;
using System.Net.Http.Json;
using Azure.Storage.Blobs;
using FalEmulator;
using Grpc.Core;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;
using Xunit.Abstractions;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests.ScaleOut;

/// <summary>
/// The Function App scaled out: several <see cref="AppInstance"/>s on one task hub in one Azurite, each with its own
/// durable backend and worker processes and its own HTTP doors, behind one <see cref="RoundRobinFront"/> that every
/// caller uses (fal's webhooks included). The fal emulator runs in this process. Containers and task hub are the
/// rig's own.
/// </summary>
public sealed class ScaleOutRig : IAsyncDisposable
{
    private const int OutputLinesPerProcess = 200;
    private static int _rigs;

    private readonly ITestOutputHelper _output;
    private readonly DateTime _started = DateTime.UtcNow;

    private ScaleOutRig(ITestOutputHelper output, ScaleOutOptions options, FalEmulatorHost fal, RoundRobinFront front, IConfiguration configuration,
        string taskHub, string connectionString, IReadOnlyList<AppInstance> instances)
    {
        _output = output;
        Options = options;
        Fal = fal;
        Front = front;
        Configuration = configuration;
        TaskHub = taskHub;
        Instances = instances;
        Partitions = new PartitionTable(connectionString, taskHub);
        Http = new HttpClient { BaseAddress = front.BaseUrl, Timeout = TimeSpan.FromMinutes(2) };
        var service = new BlobServiceClient(connectionString);
        Videos = service.GetBlobContainerClient(configuration["Storage:VideosContainer"]);
        Work = service.GetBlobContainerClient(configuration["Storage:WorkContainer"]);
    }

    public ScaleOutOptions Options { get; }

    public FalEmulatorHost Fal { get; }

    public RoundRobinFront Front { get; }

    public IConfiguration Configuration { get; }

    public string TaskHub { get; }

    public IReadOnlyList<AppInstance> Instances { get; }

    public PartitionTable Partitions { get; }

    /// <summary>A client of the app's public address (the front).</summary>
    public HttpClient Http { get; }

    public BlobContainerClient Videos { get; }

    public BlobContainerClient Work { get; }

    /// <summary>The worker ids of the instances running now.</summary>
    public IReadOnlyList<string> LiveWorkers => Instances.Where(i => i.IsUp).Select(i => i.WorkerId).ToList();

    /// <summary>Starts the emulator, the front and every instance, then (with workers) waits until the partitions are balanced over them.</summary>
    public static async Task<ScaleOutRig> StartAsync(Azurite azurite, ITestOutputHelper output, ScaleOutOptions? options = null,
        string? appVersion = VideoJobOrchestrator.Version)
    {
        ArgumentNullException.ThrowIfNull(azurite);
        options ??= new ScaleOutOptions();
        int n = Interlocked.Increment(ref _rigs);
        var fal = await FalEmulatorHost.StartAsync(options.Emulator);
        RoundRobinFront? front = null;
        ScaleOutRig? rig = null;
        var instances = new List<AppInstance>();
        try
        {
            int frontPort = LoopbackPorts.Free();
            front = await RoundRobinFront.StartAsync(frontPort);

            // Every instance has the same settings, as one Function App's instances do; fal calls back the front.
            var values = TestAppSettings.For(azurite, fal, frontPort, containerPrefix: "scale-");
            options.Configure?.Invoke(values);
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
            string taskHub = string.Create(CultureInfo.InvariantCulture, $"scale{n}x{Guid.NewGuid():N}")[..20];
            for (int i = 1; i <= options.Instances; i++)
            {
                int sidecarPort = LoopbackPorts.Free();
                var worker = values.ToDictionary(p => p.Key.Replace(":", "__", StringComparison.Ordinal), p => p.Value!);
                worker["Worker__SidecarUrl"] = $"http://127.0.0.1:{sidecarPort}";
                worker["Worker__Version"] = appVersion ?? "";
                string workerId = $"scale-{n}-instance-{i}";
                var sidecar = new Dictionary<string, string>
                {
                    ["Sidecar__Port"] = $"{sidecarPort}",
                    ["Sidecar__ConnectionString"] = azurite.ConnectionString,
                    ["Sidecar__TaskHub"] = taskHub,
                    ["Sidecar__WorkerId"] = workerId,
                    ["Sidecar__PollingInterval"] = Invariant(options.QueuePolling),
                    ["Sidecar__PartitionCount"] = $"{options.PartitionCount}",
                    ["Sidecar__MaxConcurrentActivities"] = $"{options.MaxConcurrentActivities}",
                    ["Sidecar__MaxConcurrentOrchestrations"] = $"{options.MaxConcurrentOrchestrations}",
                    ["Sidecar__ControlQueueVisibilityTimeout"] = Invariant(options.VisibilityTimeout),
                    ["Sidecar__WorkItemQueueVisibilityTimeout"] = Invariant(options.VisibilityTimeout),
                };
                var own = new ConfigurationBuilder().AddInMemoryCollection(values).Build(); // see AppInstance: one object per instance
                instances.Add(new AppInstance(i, workerId, sidecarPort, own, sidecar, worker, appVersion, options.Workers));
            }

            rig = new ScaleOutRig(output, options, fal, front, configuration, taskHub, azurite.ConnectionString, instances);
            await Task.WhenAll(instances.Select(rig.StartInstanceAsync));
            if (options.Workers)
            {
                var balanced = await rig.WaitForBalanceAsync();
                rig.Log($"{instances.Count} instances up, partitions balanced: {PartitionTable.Describe(balanced)}");
            }

            return rig;
        }
        catch
        {
            if (rig is not null)
            {
                await rig.DisposeAsync();
            }
            else
            {
                foreach (var instance in instances)
                {
                    await instance.DisposeAsync();
                }

                if (front is not null)
                {
                    await front.DisposeAsync();
                }

                await fal.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>The instance vanishes: out of the front's rotation, then sidecar and worker SIGKILLed, doors stopped.</summary>
    public async Task KillAsync(AppInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        Front.Unroute(instance.Index);
        await instance.KillAsync();
        Log($"{instance} killed (SIGKILL: sidecar and worker)");
    }

    /// <summary>Starts the instance again under the same worker id and puts it back into the front's rotation.</summary>
    public async Task RestartAsync(AppInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        await StartInstanceAsync(instance);
        Log($"{instance} restarted");
    }

    /// <summary>Polls the partition table until <paramref name="condition"/> holds (the timeout only bounds a hung test).</summary>
    public async Task<IReadOnlyList<PartitionLease>> WaitForPartitionsAsync(Func<IReadOnlyList<PartitionLease>, bool> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var limit = timeout ?? Patience.Job;
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var leases = await Partitions.ReadAsync();
            if (condition(leases))
            {
                return leases;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up waiting for {what} after {limit}: {PartitionTable.Describe(leases)}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Waits until every partition is settled on the live instances, in even shares.</summary>
    public Task<IReadOnlyList<PartitionLease>> WaitForBalanceAsync(TimeSpan? timeout = null)
    {
        var live = LiveWorkers;
        return WaitForPartitionsAsync(leases => PartitionTable.IsBalanced(leases, Options.PartitionCount, live), $"partitions balanced over {string.Join(", ", live)}", timeout);
    }

    /// <summary>The instance whose backend takes the job's messages now (the owner of its control queue's lease).</summary>
    public static string? OwnerOf(IReadOnlyList<PartitionLease> leases, string controlQueue) =>
        leases?.FirstOrDefault(l => l.Partition == controlQueue)?.Owner;

    /// <summary>POSTs a job to the app's public address.</summary>
    public Task<HttpResponseMessage> PostJobAsync(object body) => Http.PostAsync(new Uri("/api/videos", UriKind.Relative), JsonContent.Create(body));

    /// <summary>
    /// Polls the task hub (through a live instance's client) until every one of <paramref name="jobIds"/> has ended;
    /// returns their final state. The timeout only bounds a hung test.
    /// </summary>
    /// <param name="stall">How long no further job may end before the wait gives up: a busy machine ends jobs slowly, a hung one never.</param>
    public async Task<IReadOnlyList<OrchestrationMetadata>> WaitForJobsAsync(IReadOnlyCollection<string> jobIds, TimeSpan stall)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        var wanted = jobIds.ToHashSet(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + stall;
        int ended = -1;
        IReadOnlyList<OrchestrationMetadata> found = [];
        while (true)
        {
            // Statuses only while waiting (a burst's inputs and outputs, every second, would load the storage under test);
            // inputs and outputs once, when all have ended.
            found = await ListAsync(wanted, withData: false) ?? found;
            if (found.Count == wanted.Count && found.All(i => i.IsCompleted) && await ListAsync(wanted, withData: true) is { } all)
            {
                return all;
            }

            int now = found.Count(i => i.IsCompleted);
            if (now > ended)
            {
                (ended, deadline) = (now, DateTime.UtcNow + stall);
            }
            else if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{now} of {wanted.Count} jobs ended, and none more for {stall} " +
                    $"({string.Join(", ", found.GroupBy(i => i.RuntimeStatus).Select(g => $"{g.Key} {g.Count()}"))}).");
            }

            await Task.Delay(1000);
        }
    }

    public void Log(string message) => _output.WriteLine($"[{(DateTime.UtcNow - _started).TotalSeconds,7:F3}s] {message}");

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in Instances)
        {
            await instance.DisposeAsync();
        }

        foreach (var process in Instances.SelectMany(i => i.Processes))
        {
            var lines = process.Output;
            _output.WriteLine($"===== {process.Name} (pid {process.Id}): {lines.Count} lines{(lines.Count > OutputLinesPerProcess ? $", the last {OutputLinesPerProcess}" : "")} =====");
            foreach (string line in lines.TakeLast(OutputLinesPerProcess))
            {
                _output.WriteLine($"{process.Name}: {line}");
            }
        }

        Http.Dispose();
        await Front.DisposeAsync();
        await Fal.DisposeAsync();
    }

    private async Task StartInstanceAsync(AppInstance instance)
    {
        await instance.StartAsync();
        Front.Route(instance.Index, instance.Doors!.BaseUrl);
    }

    // The jobs among the task hub's instances, through a live instance's client; null when that instance went away meanwhile.
    private async Task<IReadOnlyList<OrchestrationMetadata>?> ListAsync(HashSet<string> wanted, bool withData)
    {
        try
        {
            var client = Instances.First(i => i.IsUp).Client;
            return await client.GetAllInstancesAsync(new OrchestrationQuery { PageSize = 1000, FetchInputsAndOutputs = withData })
                .Where(i => wanted.Contains(i.InstanceId)).ToListAsync();
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
        {
            return null;
        }
    }

    private static string Invariant(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
