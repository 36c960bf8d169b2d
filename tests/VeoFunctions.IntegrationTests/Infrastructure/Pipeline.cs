using System.Net.Http.Json;
using Azure.Storage.Blobs;
using FalEmulator;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VeoFunctions.Jobs;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// The whole pipeline on real parts: the fal emulator (real Kestrel, signed webhooks), real Azurite, the real
/// Durable Task engine running the app's orchestrator and activities with the app's own registrations, and
/// the app's HTTP functions behind real HTTP. Each pipeline gets its own containers.
/// </summary>
public sealed class Pipeline : IAsyncDisposable
{
    private Pipeline(FalEmulatorHost fal, DurableTaskTestHost durable, HostLikeDurableClient client, FunctionsHttpHost functions, IConfiguration configuration)
    {
        Fal = fal;
        Durable = durable;
        Client = client;
        Functions = functions;
        Configuration = configuration;
        Http = new HttpClient { BaseAddress = functions.BaseUrl };
        var service = new BlobServiceClient(configuration["Storage:ConnectionString"]);
        Videos = service.GetBlobContainerClient(configuration["Storage:VideosContainer"]);
        Work = service.GetBlobContainerClient(configuration["Storage:WorkContainer"]);
    }

    public FalEmulatorHost Fal { get; }

    public DurableTaskTestHost Durable { get; }

    /// <summary>The engine's client as the app's functions get it: behaving as the Functions host's does.</summary>
    public HostLikeDurableClient Client { get; }

    public FunctionsHttpHost Functions { get; }

    public IConfiguration Configuration { get; }

    public HttpClient Http { get; }

    public BlobContainerClient Videos { get; }

    public BlobContainerClient Work { get; }

    /// <param name="services">More registrations for the app's services, in the durable worker and the HTTP front alike (a log capture).</param>
    /// <param name="backend">The durable backend, if not the in-memory one.</param>
    public static async Task<Pipeline> StartAsync(Azurite azurite, EmulatorOptions? emulator = null, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null,
        DurableTask.Core.IOrchestrationService? backend = null)
    {
        var fal = await FalEmulatorHost.StartAsync(emulator ?? new EmulatorOptions());
        int functionsPort = LoopbackPorts.Free();
        var values = TestAppSettings.For(azurite, fal, functionsPort);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var durable = await InProcessEngine.StartAsync(
            tasks => tasks.AddVideoJobTasks(),
            port: LoopbackPorts.Free(), // not the package's own pick: an unprobed random port in 30000-40000, where port-0 binds land
            worker =>
            {
                worker.AddSingleton<IConfiguration>(configuration);
                worker.AddVeoFunctions();
                DurableVersioning.AsTheHostDoes(worker);
                services?.Invoke(worker);
            },
            backend);
        var client = new HostLikeDurableClient(durable.Client);
        var functions = await FunctionsHttpHost.StartAsync(functionsPort, configuration, client, services);
        return new Pipeline(fal, durable, client, functions, configuration);
    }

    /// <summary>POSTs a job; returns the response (202 or a problem).</summary>
    public Task<HttpResponseMessage> PostJobAsync(object body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/videos") { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return Http.SendAsync(request);
    }

    /// <summary>POSTs a job that must be accepted; returns its id.</summary>
    public async Task<string> StartJobAsync(object body, string? idempotencyKey = null)
    {
        using var response = await PostJobAsync(body, idempotencyKey);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {text}");
        var accepted = System.Text.Json.JsonDocument.Parse(text).RootElement;
        return accepted.GetProperty("jobId").GetString()!;
    }

    public async Task<OrchestrationMetadata> WaitForJobAsync(string jobId, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Patience.Job);
        return await Client.WaitForInstanceCompletionAsync(jobId, getInputsAndOutputs: true, cts.Token);
    }

    public async Task<System.Text.Json.JsonElement> GetStatusAsync(string jobId)
    {
        using var response = await Http.GetAsync($"/api/videos/{jobId}");
        response.EnsureSuccessStatusCode();
        return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Functions.DisposeAsync();
        await Durable.DisposeAsync();
        await Fal.DisposeAsync();
    }
}
