using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.Core;
using Microsoft.Azure.Functions.Worker.Core.FunctionMetadata;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VeoFunctions.Functions;
using VeoFunctions.Jobs;
using Xunit.Abstractions;

namespace VeoFunctions.Tests.Functions;

/// <summary>
/// What the worker tells the Functions host: the build's <c>functions.metadata</c> (HTTP functions) and what the
/// DurableTask extension adds at start-up for the class-based orchestrator and activities. A mistake here stops
/// the real host (or silently drops a function), so it is checked without one.
/// </summary>
public sealed class FunctionMetadataTests(ITestOutputHelper output)
{
    private static readonly string[] Activities =
        ["FetchImage", "UploadImageToFal", "SubmitToFal", "FindFalRequest", "FindLostRequest", "CheckFalStatus", "FetchFalResult", "CancelFalRequest", "CloseWithoutVideo", "RecordManifestOutcome", "ArchiveVideo", "DeliverCallback", "DeleteFalPayloads", "SettleJobCost", "RecordJobEnd"];

    private static readonly string[] Orchestrators = [nameof(VideoJobOrchestrator), nameof(VideoSalvageOrchestrator)];

    private static readonly Dictionary<string, (string Method, string Route, string AuthLevel)> HttpFunctions = new()
    {
        [nameof(StartVideoJob)] = ("post", "videos", "Function"),
        [nameof(GetVideoJob)] = ("get", "videos/{jobId}", "Function"),
        [nameof(ReceiveFalWebhook)] = ("post", "fal/webhook", "Anonymous"),
        [nameof(CancelVideoJob)] = ("post", "videos/{jobId}/cancel", "Function"),
        [nameof(ListVideoJobs)] = ("get", "videos", "Function"),
        [nameof(ResumeVideoJob)] = ("post", "videos/{jobId}/resume", "Function"),
        [nameof(GetBudget)] = ("get", "budget", "Function"),
        [nameof(GetHealth)] = ("get", "health", "Function"),
        [nameof(DownloadVideo)] = ("get", "videos/{jobId}/video", "Function"),
        [nameof(RunManifest)] = ("post", "manifests/run", "Function"),
        [nameof(GetOpenApi)] = ("get", "openapi.json", "Anonymous"),
    };

    // --- (a) the build's functions.metadata ---

    internal static JsonArray BuiltMetadata()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = testBin.Parent!.Name; // …/bin/<Configuration>/net10.0
        var root = testBin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "VeoFunctions.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        string path = Path.Combine(root.FullName, "src", "VeoFunctions", "bin", configuration, "net10.0", "functions.metadata");
        Assert.True(File.Exists(path), $"No functions.metadata at {path}: build src/VeoFunctions in {configuration}.");
        return Assert.IsType<JsonArray>(JsonNode.Parse(File.ReadAllText(path)));
    }

    private static JsonObject Function(JsonArray metadata, string name) =>
        Assert.IsType<JsonObject>(Assert.Single(metadata, f => (string?)f!["name"] == name));

    [Fact]
    public void TheBuiltMetadata_ListsExactlyTheAppsHttpFunctions_AndTheManifestTrigger()
    {
        var names = BuiltMetadata().Select(f => (string)f!["name"]!).Order(StringComparer.Ordinal);

        Assert.Equal(HttpFunctions.Keys.Append(nameof(StartManifestJobs)).Append(nameof(PurgeJobHistories)).Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public void TheManifestTrigger_IsABlobTriggerWithTheEventGridSource_OnTheConfiguredContainer()
    {
        // Flex Consumption supports no other blob trigger source; the polling source would never fire there.
        var function = Function(BuiltMetadata(), nameof(StartManifestJobs));

        var bindings = function["bindings"]!.AsArray().Select(b => b!.AsObject()).ToList();
        var trigger = Assert.Single(bindings, b => (string?)b["type"] == "blobTrigger");
        Assert.Equal("EventGrid", (string?)trigger["source"]);
        Assert.Equal("%Storage:JobsContainer%/{name}", (string?)trigger["path"]);
        Assert.Equal("JobsStorage", (string?)trigger["connection"]);
        Assert.Equal("In", (string?)trigger["direction"]);
        Assert.Single(bindings, b => (string?)b["type"] == "durableClient");
    }

    [Fact]
    public void TheHistoryPurge_IsADailyTimerWithADurableClient()
    {
        var function = Function(BuiltMetadata(), nameof(PurgeJobHistories));

        var bindings = function["bindings"]!.AsArray().Select(b => b!.AsObject()).ToList();
        var trigger = Assert.Single(bindings, b => (string?)b["type"] == "timerTrigger");
        Assert.Equal(PurgeJobHistories.Schedule, (string?)trigger["schedule"]);
        Assert.Single(bindings, b => (string?)b["type"] == "durableClient");
    }

    [Theory]
    [InlineData(nameof(StartVideoJob))]
    [InlineData(nameof(GetVideoJob))]
    [InlineData(nameof(ReceiveFalWebhook))]
    [InlineData(nameof(CancelVideoJob))]
    [InlineData(nameof(ListVideoJobs))]
    [InlineData(nameof(ResumeVideoJob))]
    [InlineData(nameof(DownloadVideo))]
    [InlineData(nameof(RunManifest))]
    public void EachHttpFunction_HasItsTriggerRouteMethodAndAuthLevel(string name)
    {
        var function = Function(BuiltMetadata(), name);
        var (method, route, authLevel) = HttpFunctions[name];

        var bindings = function["bindings"]!.AsArray().Select(b => b!.AsObject()).ToList();
        var trigger = Assert.Single(bindings, b => (string?)b["type"] == "httpTrigger");
        Assert.Equal("In", (string?)trigger["direction"]);
        Assert.Equal(route, (string?)trigger["route"]);
        Assert.Equal(authLevel, (string?)trigger["authLevel"]);
        Assert.Equal([method], trigger["methods"]!.AsArray().Select(m => (string)m!));
        var client = Assert.Single(bindings, b => (string?)b["type"] == "durableClient");
        Assert.Equal("In", (string?)client["direction"]);
        var ret = Assert.Single(bindings, b => (string?)b["name"] == "$return");
        Assert.Equal(("http", "Out"), ((string?)ret["type"], (string?)ret["direction"]));
        Assert.Equal(3, bindings.Count);
        Assert.Equal("VeoFunctions.dll", (string?)function["scriptFile"]);
        Assert.Equal("dotnet-isolated", (string?)function["language"]);
    }

    [Theory]
    [InlineData(nameof(GetBudget))]
    [InlineData(nameof(GetHealth))]
    [InlineData(nameof(GetOpenApi))]
    public void EachHttpFunctionWithoutAJob_HasItsTriggerRouteMethodAndAuthLevel_AndNoDurableClient(string name)
    {
        var function = Function(BuiltMetadata(), name);
        var (method, route, authLevel) = HttpFunctions[name];

        var bindings = function["bindings"]!.AsArray().Select(b => b!.AsObject()).ToList();
        var trigger = Assert.Single(bindings, b => (string?)b["type"] == "httpTrigger");
        Assert.Equal((route, authLevel), ((string?)trigger["route"], (string?)trigger["authLevel"]));
        Assert.Equal([method], trigger["methods"]!.AsArray().Select(m => (string)m!));
        Assert.Single(bindings, b => (string?)b["name"] == "$return");
        Assert.Equal(2, bindings.Count);
    }

    [Fact]
    public void EveryEntryPoint_ResolvesToAFunctionMethodOfTheSameName()
    {
        var assembly = typeof(StartVideoJob).Assembly;
        foreach (var function in BuiltMetadata())
        {
            string entryPoint = (string)function!["entryPoint"]!;
            int dot = entryPoint.LastIndexOf('.');
            var type = assembly.GetType(entryPoint[..dot]);
            Assert.True(type is not null, $"{entryPoint}: no type {entryPoint[..dot]}.");
            var method = type.GetMethod(entryPoint[(dot + 1)..], BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static);
            Assert.True(method is not null, $"{entryPoint}: no public method.");
            var attribute = method.GetCustomAttribute<Microsoft.Azure.Functions.Worker.FunctionAttribute>();
            Assert.Equal((string?)function["name"], attribute?.Name);
        }
    }

    [Fact]
    public void NoTwoHttpFunctions_ShareARouteAndMethod()
    {
        var pairs = BuiltMetadata()
            .SelectMany(f => f!["bindings"]!.AsArray().Where(b => (string?)b!["type"] == "httpTrigger"))
            .SelectMany(t => t!["methods"]!.AsArray().Select(m => ((string)m!).ToUpperInvariant() + " " + ((string?)t!["route"])?.ToUpperInvariant()))
            .ToList();

        Assert.Equal(pairs.Count, pairs.Distinct().Count());
    }

    // --- (b) what the DurableTask extension adds when the app starts ---

    private static List<IFunctionMetadata> DurableFunctions()
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Fal:Key"] = "test-id:test-secret",
            ["Jobs:PublicBaseUrl"] = "https://app.example",
        });
        VeoFunctionsApp.Configure(builder);

        // The worker runs each extension's startup (which registers the DurableTask extension's metadata transformer)
        // through the executor the SDK's generator adds to the *entry* assembly; under a test runner that is testhost,
        // so it is run here from the app's own assembly, as the real worker would.
        var executor = typeof(VeoFunctionsApp).Assembly.GetCustomAttribute<WorkerExtensionStartupCodeExecutorInfoAttribute>();
        Assert.NotNull(executor);
        var startup = Assert.IsAssignableFrom<WorkerExtensionStartup>(Activator.CreateInstance(executor.StartupCodeExecutorType));
        startup.Configure(builder);

        using var host = builder.Build();
        var transformers = host.Services.GetServices<IFunctionMetadataTransformer>().ToList();
        Assert.NotEmpty(transformers);
        var functions = new List<IFunctionMetadata>();
        foreach (var transformer in transformers)
        {
            transformer.Transform(functions);
        }

        return functions;
    }

    private static (string Type, string Name, string Direction) Trigger(IFunctionMetadata function)
    {
        var binding = Assert.Single(function.RawBindings!, b => JsonNode.Parse(b)!["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal));
        var json = JsonNode.Parse(binding)!;
        return ((string)json["type"]!, (string)json["name"]!, (string)json["direction"]!);
    }

    [Fact]
    public void TheDurableExtension_AddsTheOrchestratorAndEveryActivity()
    {
        var functions = DurableFunctions();
        foreach (var function in functions)
        {
            output.WriteLine($"{function.Name}: {string.Join(" ", function.RawBindings ?? [])}");
        }

        foreach (string name in Orchestrators)
        {
            var orchestrator = Assert.Single(functions, f => f.Name == name);
            Assert.Equal("orchestrationTrigger", Trigger(orchestrator).Type);
            Assert.Equal("In", Trigger(orchestrator).Direction, StringComparer.OrdinalIgnoreCase);
        }

        var activities = functions.Where(f => Trigger(f).Type == "activityTrigger").Select(f => f.Name).Order(StringComparer.Ordinal);
        Assert.Equal(Activities.Order(StringComparer.Ordinal), activities);
        Assert.Equal(Activities.Length + Orchestrators.Length, functions.Count);
        Assert.All(functions, f => Assert.False(string.IsNullOrEmpty(f.EntryPoint)));
        Assert.All(functions, f => Assert.False(string.IsNullOrEmpty(f.FunctionId)));
    }

    [Fact]
    public void EveryFunctionName_IsUnique_AcrossHttpAndDurableFunctions()
    {
        var all = BuiltMetadata().Select(f => (string)f!["name"]!).Concat(DurableFunctions().Select(f => f.Name!)).ToList();

        Assert.Equal(all.Count, all.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(
            HttpFunctions.Keys.Append(nameof(StartManifestJobs)).Append(nameof(PurgeJobHistories)).Concat(Activities).Concat(Orchestrators).Order(StringComparer.Ordinal),
            all.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EveryActivityClassInTheCode_IsOneOfTheExpectedActivities()
    {
        var registered = typeof(VideoJobOrchestrator).Assembly.GetTypes()
            .Where(t => t.Namespace == "VeoFunctions.Jobs.Activities" && t.BaseType is { IsGenericType: true } b && b.GetGenericTypeDefinition() == typeof(Microsoft.DurableTask.TaskActivity<,>))
            .Select(t => t.Name)
            .Order(StringComparer.Ordinal);

        Assert.Equal(Activities.Order(StringComparer.Ordinal), registered);
    }
}
