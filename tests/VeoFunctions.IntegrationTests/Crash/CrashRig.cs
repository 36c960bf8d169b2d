using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using FalEmulator;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VeoFunctions.Archive;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;
using VeoFunctions.Money;
using Xunit.Abstractions;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests.Crash;

/// <summary>
/// The pipeline with the durable engine split into processes that can die: a sidecar process serving the
/// production backend (DurableTask.AzureStorage, on Azurite) over gRPC, and a worker process running the app's
/// own tasks and registrations. The fal emulator and the app's HTTP functions (webhook included) run in the test
/// process, the functions talking to the sidecar with a gRPC DurableTaskClient. Each rig has its own task hub,
/// containers and sidecar port.
/// </summary>
public sealed class CrashRig : IAsyncDisposable
{
    private static TimeSpan StartTimeout => Patience.Start;
    private static int _instances;

    private readonly ITestOutputHelper _output;
    private readonly Dictionary<string, string> _workerEnvironment;
    private readonly Dictionary<string, string> _sidecarEnvironment;
    private readonly List<ChildProcess> _processes = [];
    private readonly string _sidecarUrl;
    private readonly int _functionsPort;
    private readonly DateTime _started = DateTime.Now;
    private ServiceProvider _clientServices;

    private CrashRig(ITestOutputHelper output, FalEmulatorHost fal, IConfiguration configuration, Dictionary<string, string> sidecarEnvironment,
        Dictionary<string, string> workerEnvironment, string sidecarUrl, int functionsPort, ServiceProvider clientServices, HostLikeDurableClient client, FunctionsHttpHost functions)
    {
        _output = output;
        Fal = fal;
        Configuration = configuration;
        _sidecarEnvironment = sidecarEnvironment;
        _workerEnvironment = workerEnvironment;
        _sidecarUrl = sidecarUrl;
        _functionsPort = functionsPort;
        _clientServices = clientServices;
        Client = client;
        Functions = functions;
        Http = new HttpClient { BaseAddress = functions.BaseUrl };
        var service = new BlobServiceClient(configuration["Storage:ConnectionString"]);
        Videos = service.GetBlobContainerClient(configuration["Storage:VideosContainer"]);
        Work = service.GetBlobContainerClient(configuration["Storage:WorkContainer"]);
    }

    public FalEmulatorHost Fal { get; }

    public IConfiguration Configuration { get; }

    /// <summary>The client of the sidecar the app's HTTP functions use (behaving as the Functions host's does).</summary>
    public HostLikeDurableClient Client { get; private set; }

    public FunctionsHttpHost Functions { get; private set; }

    public HttpClient Http { get; private set; }

    public BlobContainerClient Videos { get; }

    public BlobContainerClient Work { get; }

    public ChildProcess? Sidecar { get; private set; }

    public ChildProcess? Worker { get; private set; }

    /// <summary>Starts the emulator, the sidecar (waits until it serves), the HTTP functions and a first worker (waits until it is connected).</summary>
    /// <param name="configure">May change the app's settings (worker and HTTP functions alike) once the emulator runs.</param>
    /// <param name="appVersion">The app's orchestration version (host.json defaultVersion); null for the first release, which had none.</param>
    public static async Task<CrashRig> StartAsync(Azurite azurite, ITestOutputHelper output, EmulatorOptions? emulator = null,
        Action<FalEmulatorHost, IDictionary<string, string?>>? configure = null, string? appVersion = VideoJobOrchestrator.Version)
    {
        emulator ??= new EmulatorOptions();
        var fal = await FalEmulatorHost.StartAsync(emulator);
        int n = Interlocked.Increment(ref _instances);
        int functionsPort = LoopbackPorts.Free();
        int sidecarPort = LoopbackPorts.Free();
        string sidecarUrl = $"http://127.0.0.1:{sidecarPort}";
        var values = TestAppSettings.For(azurite, fal, functionsPort, containerPrefix: "crash-");
        configure?.Invoke(fal, values);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var workerEnvironment = values.ToDictionary(p => p.Key.Replace(":", "__", StringComparison.Ordinal), p => p.Value!);
        workerEnvironment["Worker__SidecarUrl"] = sidecarUrl;
        workerEnvironment["Worker__Version"] = appVersion ?? "";
        var sidecarEnvironment = new Dictionary<string, string>
        {
            ["Sidecar__Port"] = $"{sidecarPort}",
            ["Sidecar__ConnectionString"] = azurite.ConnectionString,
            ["Sidecar__TaskHub"] = $"crash{n}x{Guid.NewGuid():N}"[..20],
            ["Sidecar__WorkerId"] = $"crash-sidecar-{n}",
        };

        var clientServices = ClientServices(sidecarUrl, appVersion);
        CrashRig? rig = null;
        try
        {
            var client = new HostLikeDurableClient(clientServices.GetRequiredService<DurableTaskClient>());
            var functions = await FunctionsHttpHost.StartAsync(functionsPort, configuration, client);
            rig = new CrashRig(output, fal, configuration, sidecarEnvironment, workerEnvironment, sidecarUrl, functionsPort, clientServices, client, functions);
            await rig.StartSidecarAsync();
            await rig.StartWorkerAsync();
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
                await clientServices.DisposeAsync();
                await fal.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>
    /// Deploys the app at another orchestration version, as a deploy does: the worker stops, the HTTP functions come
    /// back (same address, so fal's webhook URLs still reach them) stamping the new version on new jobs, and a worker
    /// of the new version starts. Jobs in flight carry on under the version they started with.
    /// </summary>
    /// <param name="whileDown">Runs while neither worker nor HTTP functions are up (fal's webhooks are refused then).</param>
    public async Task DeployAsync(string appVersion, Func<Task>? whileDown = null)
    {
        if (Worker is { HasExited: false })
        {
            await KillWorkerAsync();
        }

        Http.Dispose();
        await Functions.DisposeAsync();
        await _clientServices.DisposeAsync();
        Log("app down for the deploy");
        if (whileDown is not null)
        {
            await whileDown();
        }

        _clientServices = ClientServices(_sidecarUrl, appVersion);
        Client = new HostLikeDurableClient(_clientServices.GetRequiredService<DurableTaskClient>());
        Functions = await FunctionsHttpHost.StartAsync(_functionsPort, Configuration, Client);
        Http = new HttpClient { BaseAddress = Functions.BaseUrl };
        _workerEnvironment["Worker__Version"] = appVersion;
        await StartWorkerAsync();
        Log($"deployed version {appVersion}");
    }

    private static ServiceProvider ClientServices(string sidecarUrl, string? appVersion)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddDurableTaskClient(b =>
        {
            b.UseGrpc(GrpcChannel.ForAddress(sidecarUrl));
            if (appVersion is not null)
            {
                b.UseDefaultVersion(appVersion); // what the host does with host.json's defaultVersion
            }
        });
        return services.BuildServiceProvider();
    }

    /// <summary>Starts a sidecar process (same port, task hub and worker id each time) and waits until it serves.</summary>
    public async Task StartSidecarAsync()
    {
        Assert.True(Sidecar is null || Sidecar.HasExited, "A sidecar is already running.");
        Sidecar = ChildProcess.Start($"sidecar#{_processes.Count(p => p.Name.StartsWith("sidecar", StringComparison.Ordinal)) + 1}", HelperExecutables.DurableSidecar, [], _sidecarEnvironment);
        _processes.Add(Sidecar);
        await Sidecar.WaitForLineAsync(line => line.StartsWith("SIDECAR: ready", StringComparison.Ordinal), StartTimeout, "that it serves");
    }

    /// <summary>Starts a worker process and waits until the sidecar has its work-item stream.</summary>
    public async Task StartWorkerAsync()
    {
        Assert.True(Worker is null || Worker.HasExited, "A worker is already running.");
        Assert.NotNull(Sidecar);
        int after = Sidecar.LineCount;
        Worker = ChildProcess.Start($"worker#{_processes.Count(p => p.Name.StartsWith("worker", StringComparison.Ordinal)) + 1}", HelperExecutables.VeoWorker, [], _workerEnvironment);
        _processes.Add(Worker);
        await WaitForWorkerConnectionAsync(after);
    }

    /// <summary>Waits until the sidecar reports a worker connection written after line <paramref name="after"/>.</summary>
    public Task WaitForWorkerConnectionAsync(int after) =>
        Sidecar!.WaitForLineAsync(line => line.StartsWith("SIDECAR: worker connected", StringComparison.Ordinal), StartTimeout, "a connected worker", after);

    public async Task KillWorkerAsync()
    {
        Assert.NotNull(Worker);
        await Worker.KillAsync();
        Log($"worker killed");
    }

    public async Task KillSidecarAsync()
    {
        Assert.NotNull(Sidecar);
        await Sidecar.KillAsync();
        Log($"sidecar killed");
    }

    /// <summary>POSTs a job through the app's start function; returns its id.</summary>
    public async Task<string> StartJobAsync(object body)
    {
        using var response = await Http.PostAsync(new Uri("/api/videos", UriKind.Relative), JsonContent.Create(body));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("jobId").GetString()!;
    }

    /// <summary>The job's phase, as the app's status function reports it.</summary>
    public async Task<string?> GetPhaseAsync(string jobId) =>
        await GetStatusAsync(jobId) is { } status && status.TryGetProperty("phase", out var phase) ? phase.GetString() : null;

    /// <summary>What the app's status function answers for the job; null if it does not answer 2xx.</summary>
    public async Task<JsonElement?> GetStatusAsync(string jobId)
    {
        using var response = await Http.GetAsync(new Uri($"/api/videos/{jobId}", UriKind.Relative));
        return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement : null;
    }

    /// <summary>
    /// The orchestration version the instance was started with, as the Azure Storage backend keeps it (its Instances
    /// table: the sidecar's gRPC answers leave the version out); empty for an instance of the first release, which had none.
    /// </summary>
    public async Task<string> OrchestrationVersionAsync(string instanceId)
    {
        var instances = new TableClient(_sidecarEnvironment["Sidecar__ConnectionString"], $"{_sidecarEnvironment["Sidecar__TaskHub"]}Instances");
        var row = await instances.GetEntityAsync<TableEntity>(instanceId, "", select: ["Version"]);
        return row.Value.GetString("Version") ?? "";
    }

    public async Task<OrchestrationMetadata> WaitForJobAsync(string jobId, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Patience.Job);
        while (true)
        {
            try
            {
                return await Client.WaitForInstanceCompletionAsync(jobId, getInputsAndOutputs: true, cts.Token);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && !cts.IsCancellationRequested)
            {
                // The sidecar was restarted: the channel reconnects after its backoff.
                await Task.Delay(250, CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Job {jobId} did not finish within {timeout ?? Patience.Job} (phase {await GetPhaseAsync(jobId)}).");
            }
        }
    }

    /// <summary>The final name of the job's video (from the orchestration's input).</summary>
    public async Task<BlobClient> VideoBlobAsync(string jobId)
    {
        var instance = await Client.GetInstanceAsync(jobId, getInputsAndOutputs: true);
        Assert.NotNull(instance);
        var input = instance.ReadInputAs<VideoJobInput>()!;
        return Videos.GetBlobClient(VideoArchive.VideoBlobName(jobId, input.CreatedAt));
    }

    public Task<bool> SubmissionRecordedAsync(string jobId) => ExistsAsync(Work.GetBlobClient(SubmissionLedger.RecordName(jobId)));

    public Task<bool> SubmitIntentExistsAsync(string jobId) => ExistsAsync(Work.GetBlobClient(SubmissionLedger.IntentName(jobId, attempt: 1)));

    /// <summary>
    /// The outcome every crash must still reach: the job completed, fal saw exactly one submission, and the
    /// archived blob holds exactly the bytes fal serves for the video.
    /// </summary>
    /// <param name="done">The orchestration that archived the video (the job's own, or its salvage run's).</param>
    /// <param name="phase">The phase the job must show (a caller's cancel that still got its video shows <c>cancelled</c>).</param>
    public async Task AssertArchivedAsync(string jobId, OrchestrationMetadata done, string phase = "completed")
    {
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed,
            $"{done.InstanceId} ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage} (custom status {done.SerializedCustomStatus})");
        Assert.Equal(phase, await GetPhaseAsync(jobId));
        var submission = Assert.Single(SubmissionsOf(jobId));
        Assert.Equal(Fal.State.Submissions.Count, Fal.State.GetCount(RequestKind.Submit)); // every submit fal saw queued a request: none was retried

        var blob = await VideoBlobAsync(jobId);
        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(submission.RequestId, properties.Metadata["falrequestid"]);
        string falVideoUrl = JsonDocument.Parse(Fal.State.GetSubmission(submission.RequestId)!.OutputJson!).RootElement.GetProperty("video").GetProperty("url").GetString()!;
        using var raw = new HttpClient();
        var (expectedLength, expectedHash) = await HashAsync(await raw.GetStreamAsync(new Uri(falVideoUrl)));
        var (actualLength, actualHash) = await HashAsync(await blob.OpenReadAsync());
        Assert.Equal(expectedLength, properties.ContentLength);
        Assert.Equal(expectedLength, actualLength);
        Assert.Equal(expectedHash, actualHash);
        Log($"job {jobId} archived: {actualLength} bytes, one submission ({submission.RequestId})");
    }

    /// <summary>The requests fal accepted for the job (its webhook URL names it).</summary>
    public IEnumerable<SubmissionInfo> SubmissionsOf(string jobId) =>
        Fal.State.Submissions.Where(s => s.WebhookUrl is { } url && System.Web.HttpUtility.ParseQueryString(new Uri(url).Query)["job"] == jobId);

    /// <summary>Polls a condition until it holds (not a timed assertion: the timeout only bounds a hung test).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, int pollMilliseconds = 2)
    {
        var limit = timeout ?? Patience.Job;
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up waiting for {what} after {limit}.");
            }

            await Task.Delay(pollMilliseconds);
        }
    }

    public void Log(string message) => _output.WriteLine($"[{(DateTime.Now - _started).TotalSeconds,7:F3}s] {message}");

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        foreach (var process in _processes)
        {
            _output.WriteLine($"===== {process.Name} (pid {process.Id}) =====");
            foreach (string line in process.Output)
            {
                _output.WriteLine($"{process.Name}: {line}");
            }
        }

        Http.Dispose();
        await Functions.DisposeAsync();
        await _clientServices.DisposeAsync();
        await Fal.DisposeAsync();
    }

    private static async Task<bool> ExistsAsync(BlobClient blob)
    {
        try
        {
            return (await blob.ExistsAsync()).Value;
        }
        catch (RequestFailedException)
        {
            return false;
        }
    }

    private static async Task<(long Length, string Sha256)> HashAsync(Stream stream)
    {
        await using (stream)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 20];
            long length = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                sha.AppendData(buffer, 0, read);
                length += read;
            }

            return (length, Convert.ToHexString(sha.GetHashAndReset()));
        }
    }
}
