using System.Text.Json;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// The in-process Durable Task engine (the InProcessTestHost package's in-memory backend and gRPC sidecar, as
/// <see cref="DurableTaskTestHost.StartAsync"/> wires them) running as many work items at once as the Functions host
/// does with host.json's <c>maxConcurrentOrchestratorFunctions</c> and <c>maxConcurrentActivityFunctions</c>. The
/// package's own host allows only <see cref="Environment.ProcessorCount"/> of each and, when full, looks again every
/// 500 ms: about four steps a second on a 2-core machine, so a batch of hundreds of jobs would take minutes that the
/// app would not.
/// </summary>
internal static class InProcessEngine
{
    /// <param name="backend">Another backend than the in-memory one (the history recorder's Azure Storage on Azurite).</param>
    public static async Task<DurableTaskTestHost> StartAsync(Action<DurableTaskRegistry> registry, int port, Action<IServiceCollection> configureServices, IOrchestrationService? backend = null)
    {
        var (orchestrators, activities) = HostJsonConcurrency();
        var service = backend ?? new ConcurrentInMemoryOrchestrationService(orchestrators, activities);
        string address = $"http://localhost:{port}";
        var sidecar = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.ClearProviders())
            .ConfigureWebHostDefaults(web => web
                .UseUrls(address)
                .ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = HttpProtocols.Http2))
                .ConfigureServices(services => services
                    .AddSingleton(service)
                    .AddSingleton((IOrchestrationServiceClient)service)
                    .AddSingleton<TaskHubGrpcServer>()
                    .AddGrpc())
                .Configure(app => app.UseRouting().UseEndpoints(endpoints => endpoints.MapGrpcService<TaskHubGrpcServer>())))
            .Build();
        await sidecar.StartAsync();

        var channel = GrpcChannel.ForAddress(address);
        var worker = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.ClearProviders())
            .ConfigureServices(services =>
            {
                configureServices(services);
                services.AddDurableTaskWorker(builder => builder.UseGrpc(channel).AddTasks(registry));
                services.AddDurableTaskClient(builder => builder.UseGrpc(channel).RegisterDirectly());
            })
            .Build();
        await worker.StartAsync();
        return new DurableTaskTestHost(sidecar, worker, channel, worker.Services.GetRequiredService<DurableTaskClient>());
    }

    private static (int Orchestrators, int Activities) HostJsonConcurrency()
    {
        using var hostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")));
        var durable = hostJson.RootElement.GetProperty("extensions").GetProperty("durableTask");
        return (durable.GetProperty("maxConcurrentOrchestratorFunctions").GetInt32(), durable.GetProperty("maxConcurrentActivityFunctions").GetInt32());
    }

    /// <summary>
    /// The in-memory backend with other limits. Its own are non-virtual, so the interface is implemented again here:
    /// these two members are this class's, every other one maps to the inherited implementation.
    /// </summary>
    private sealed class ConcurrentInMemoryOrchestrationService(int orchestrators, int activities) : InMemoryOrchestrationService, IOrchestrationService
    {
        int IOrchestrationService.MaxConcurrentTaskOrchestrationWorkItems => orchestrators;

        int IOrchestrationService.MaxConcurrentTaskActivityWorkItems => activities;
    }
}
