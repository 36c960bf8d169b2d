using System.Net;
using DurableSidecar;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using VeoFunctions.Testing;

// A Durable Task sidecar serving the production backend (Azure Storage, here against Azurite) over gRPC, for a
// worker in another process. Settings (command line --Sidecar:Port=… or environment Sidecar__Port=…):
//   Sidecar:Port              loopback port to listen on (cleartext HTTP/2 only)          required
//   Sidecar:ConnectionString  storage connection string (Azurite)                          required
//   Sidecar:TaskHub           task hub name                                                default veocrash
//   Sidecar:WorkerId          stable across restarts, so partition leases are taken back   default durable-sidecar
//   Sidecar:PollingInterval   the queues' longest polling interval                         default 00:00:00.500
//   Sidecar:PartitionCount    control-queue partitions (host.json partitionCount: 4)       default 1
//   Sidecar:MaxConcurrentActivities / Sidecar:MaxConcurrentOrchestrations                  default 10 / 100 (the backend's)
//   Sidecar:ControlQueueVisibilityTimeout / Sidecar:WorkItemQueueVisibilityTimeout         default 00:05:00 (the backend's)
//     how long a message a dead sidecar had taken stays hidden before another instance sees it again
// Prints "SIDECAR: ready" once the task hub exists and gRPC is served, and "SIDECAR: worker connected …" when a
// worker opens its work-item stream.
ParentWatch.Start();
var builder = WebApplication.CreateSlimBuilder(args);
var config = builder.Configuration;
int port = config.GetValue<int?>("Sidecar:Port") ?? throw new InvalidOperationException("Set Sidecar:Port.");
string connectionString = config["Sidecar:ConnectionString"] is { Length: > 0 } cs ? cs : throw new InvalidOperationException("Set Sidecar:ConnectionString.");
string taskHub = config["Sidecar:TaskHub"] ?? "veocrash";
string workerId = config["Sidecar:WorkerId"] ?? "durable-sidecar";
var pollingInterval = config.GetValue<TimeSpan?>("Sidecar:PollingInterval") ?? TimeSpan.FromMilliseconds(500);
var defaults = new AzureStorageOrchestrationServiceSettings();

builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddFilter("Microsoft.DurableTask.Sidecar", LogLevel.Information);
builder.Logging.AddFilter("DurableSidecar", LogLevel.Information);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2));

var settings = new AzureStorageOrchestrationServiceSettings
{
    StorageAccountClientProvider = new StorageAccountClientProvider(connectionString),
    TaskHubName = taskHub,
    WorkerId = workerId,
    UseTablePartitionManagement = true,
    PartitionCount = config.GetValue<int?>("Sidecar:PartitionCount") ?? 1,
    MaxQueuePollingInterval = pollingInterval,
    MaxConcurrentTaskActivityWorkItems = config.GetValue<int?>("Sidecar:MaxConcurrentActivities") ?? defaults.MaxConcurrentTaskActivityWorkItems,
    MaxConcurrentTaskOrchestrationWorkItems = config.GetValue<int?>("Sidecar:MaxConcurrentOrchestrations") ?? defaults.MaxConcurrentTaskOrchestrationWorkItems,
    ControlQueueVisibilityTimeout = config.GetValue<TimeSpan?>("Sidecar:ControlQueueVisibilityTimeout") ?? defaults.ControlQueueVisibilityTimeout,
    WorkItemQueueVisibilityTimeout = config.GetValue<TimeSpan?>("Sidecar:WorkItemQueueVisibilityTimeout") ?? defaults.WorkItemQueueVisibilityTimeout,
};
var service = new AzureStorageOrchestrationService(settings);
await service.CreateIfNotExistsAsync();

builder.Services.AddGrpc();
builder.Services.AddSingleton<IOrchestrationService>(service);
builder.Services.AddSingleton<IOrchestrationServiceClient>(service);
builder.Services.AddSingleton<ResilientTaskHubGrpcServer>();

var app = builder.Build();
app.MapGrpcService<ResilientTaskHubGrpcServer>();

// Resolve the server now: it hooks application start in its constructor (that starts the dispatchers once
// a worker connects).
_ = app.Services.GetRequiredService<ResilientTaskHubGrpcServer>();
await app.StartAsync();
Console.WriteLine($"SIDECAR: ready on http://127.0.0.1:{port} (task hub {taskHub}, worker id {workerId}, {settings.PartitionCount} partition(s))");
await app.WaitForShutdownAsync();
