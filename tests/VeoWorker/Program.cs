using Grpc.Net.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VeoFunctions;
using VeoFunctions.Jobs;
using VeoFunctions.Testing;

// The app's durable worker as its own process, for crash tests: the very tasks the Function App registers
// (AddVideoJobTasks) with the app's own service registrations (AddVeoFunctions), bound from configuration with
// the same keys as the Function App (Storage:…, Fal:…, Jobs:…, Images:…; environment Storage__ConnectionString=…
// or command line --Storage:ConnectionString=…). Worker:SidecarUrl names the sidecar (tests/DurableSidecar);
// Worker:Version is the app's orchestration version (host.json defaultVersion; empty = the first release, unversioned).
ParentWatch.Start();
var builder = Host.CreateApplicationBuilder(args);
string sidecarUrl = builder.Configuration["Worker:SidecarUrl"] is { Length: > 0 } url ? url : throw new InvalidOperationException("Set Worker:SidecarUrl.");

builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddFilter("Microsoft.DurableTask", LogLevel.Information);
builder.Logging.AddFilter("Microsoft.DurableTask.Worker.Grpc", LogLevel.Warning); // the same lines again, under a second category
builder.Logging.AddFilter("VeoFunctions", LogLevel.Information);

builder.Services.AddVeoFunctions();
string version = builder.Configuration["Worker:Version"] ?? VideoJobOrchestrator.Version;
builder.Services.AddDurableTaskWorker(worker =>
{
    worker.AddTasks(tasks => tasks.AddVideoJobTasks());
    worker.UseGrpc(GrpcChannel.ForAddress(sidecarUrl));
    if (version.Length > 0)
    {
        // As the host enforces host.json's versionMatchStrategy: this version or older; Fail, since the test sidecar
        // cannot hand an abandoned work item back (the host's Reject would leave it for a newer worker).
        worker.UseVersioning(new DurableTaskWorkerOptions.VersioningOptions
        {
            Version = version,
            DefaultVersion = version,
            MatchStrategy = DurableTaskWorkerOptions.VersionMatchStrategy.CurrentOrOlder,
            FailureStrategy = DurableTaskWorkerOptions.VersionFailureStrategy.Fail,
        });
    }
});

using var host = builder.Build();
await host.RunAsync();
