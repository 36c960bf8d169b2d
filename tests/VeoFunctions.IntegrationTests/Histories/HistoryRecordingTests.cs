using System.Net;
using DurableTask.AzureStorage;
using FalEmulator;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.IntegrationTests.Crash;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;
using VeoFunctions.Testing;
using Xunit.Abstractions;

namespace VeoFunctions.IntegrationTests.Histories;

/// <summary>
/// Records real histories of every version of the job's story that can still run (1.0, unversioned; 2.0; 2.1) through
/// its interesting paths, on the production backend (DurableTask.AzureStorage on Azurite, served to the app's worker by the
/// test engine's gRPC sidecar in this process: no helper processes to start), into tests/VeoFunctions.Tests/Jobs/Histories,
/// where <c>HistoryReplayTests</c> replays them against today's code. The app runs as the release did: its client stamps
/// that release's version on the jobs it starts (none for 1.0), salvage runs included.
/// A tool, not a test: it runs only with <c>VEO_RECORD_HISTORIES=1</c> (see that folder's README).
/// </summary>
[Trait("Category", "Recorder")] // scripts/test leaves it out: a tool, not a verdict
[Collection(ProductionBackendCollection.Name)]
public sealed class HistoryRecordingTests(Azurite azurite, ITestOutputHelper output)
{
    private const string Switch = "VEO_RECORD_HISTORIES";
    private const string Folder = "tests/VeoFunctions.Tests/Jobs/Histories";

    private static object Job(string prompt) => new
    {
        prompt,
        image_urls = new[] { TestImages.DataUri(TestImages.Png(16, 16)) },
        aspect_ratio = "16:9",
        resolution = "720p",
        generate_audio = false,
    };

    // The release label of a file, and the version the app stamped on its jobs (the first release stamped none).
    private static string? AppVersion(string release) => release == "1.0" ? null : release;

    [SkippableTheory]
    [InlineData("1.0")]
    [InlineData("2.0")]
    [InlineData("2.1")]
    public async Task Webhook_EndsTheWait(string release)
    {
        await using var app = await StartAsync(release, new EmulatorOptions());
        string jobId = await app.Pipeline.StartJobAsync(Job("A webhook ends the wait"));
        await app.SaveAsync("webhook", jobId, await app.Pipeline.WaitForJobAsync(jobId));
    }

    [SkippableTheory]
    [InlineData("1.0")]
    [InlineData("2.0")]
    [InlineData("2.1")]
    public async Task Polling_WhenTheWebhookIsLost(string release)
    {
        await using var app = await StartAsync(release, PipelineProbes.Fal(FaultRule.Generation(FaultKind.WebhookDrop)), PipelineProbes.FrequentChecks());
        string jobId = await app.Pipeline.StartJobAsync(Job("Polling finds the video"));
        await app.SaveAsync("polling", jobId, await app.Pipeline.WaitForJobAsync(jobId));
    }

    /// <summary>fal took the submit but its answer was lost; fal's webhook names the request (every version).</summary>
    [SkippableTheory]
    [InlineData("1.0")]
    [InlineData("2.0")]
    [InlineData("2.1")]
    public async Task LostSubmit_FoundByTheWebhook(string release)
    {
        await using var app = await StartAsync(release, PipelineProbes.Fal(FaultRule.SubmitAcceptedThenHttpError(500, includeRequestIdHeader: true)));
        string jobId = await app.Pipeline.StartJobAsync(Job("A lost submit, found by its webhook"));
        await app.SaveAsync("lost-submit-webhook", jobId, await app.Pipeline.WaitForJobAsync(jobId));
    }

    /// <summary>fal took the submit, its answer and its webhook were lost; fal's request list shows it (2.x).</summary>
    [SkippableTheory]
    [InlineData("2.0")]
    [InlineData("2.1")]
    public async Task LostSubmit_FoundInFalsRequestList(string release)
    {
        var settings = PipelineProbes.FrequentChecks();
        settings["Jobs:MaxGenerationTime"] = "00:00:01";
        await using var app = await StartAsync(release,
            PipelineProbes.Fal(FaultRule.SubmitAcceptedThenHttpError(500, includeRequestIdHeader: true), FaultRule.Generation(FaultKind.WebhookDrop)), settings);
        string jobId = await app.Pipeline.StartJobAsync(Job("A lost submit, found in fal's list"));
        await app.SaveAsync("lost-submit-list", jobId, await app.Pipeline.WaitForJobAsync(jobId));
    }

    /// <summary>A caller's cancel while fal generates only asks fal; 2.x waits and archives what fal still delivers.</summary>
    [SkippableTheory]
    [InlineData("1.0")]
    [InlineData("2.0")]
    [InlineData("2.1")]
    public async Task Cancel_ThatOnlyAsks(string release)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = await StartAsync(release, ProductionBackendTests.HeldByClock(clock), new() { ["Jobs:CancelGrace"] = "00:05:00" });
        string jobId = await app.Pipeline.StartJobAsync(Job("A cancel that only asks"));
        await CrashRig.WaitUntilAsync(async () => app.Pipeline.Fal.State.Submissions is [{ StartedAt: not null }] && (await app.Pipeline.GetStatusAsync(jobId)).Text("phase") == "queued", "fal generating", pollMilliseconds: 20);
        using (var cancel = await app.Pipeline.Http.PostAsync(new Uri($"/api/videos/{jobId}/cancel", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        if (release != "1.0")
        {
            await CrashRig.WaitUntilAsync(async () => (await app.Pipeline.GetStatusAsync(jobId)).Text("note")?.Contains("may still finish", StringComparison.Ordinal) == true,
                "the job waiting for fal's last word", pollMilliseconds: 20);
            await ProductionBackendTests.FinishGenerationAsync(app.Pipeline.Fal, clock);
        }

        await app.SaveAsync("cancel", jobId, await app.Pipeline.WaitForJobAsync(jobId));
    }

    /// <summary>fal's CDN is down past the archive horizon: the job parks until a resume, then archives (2.x).</summary>
    [SkippableTheory]
    [InlineData("2.0")]
    [InlineData("2.1")]
    public async Task Archive_ParkedAndResumed(string release)
    {
        await using var app = await StartAsync(release, PipelineProbes.Fal(FaultRule.CallHttpError(RequestKind.FileGet, 503, count: null)), new() { ["Jobs:ArchiveHorizon"] = "00:00:00.500" });
        string jobId = await app.Pipeline.StartJobAsync(Job("An archive parked and resumed"));
        await CrashRig.WaitUntilAsync(async () => (await app.Pipeline.GetStatusAsync(jobId)).Text("lastError")?.Contains("/resume", StringComparison.Ordinal) == true,
            "the job parked, waiting for a resume", pollMilliseconds: 50);
        app.Pipeline.Fal.State.ClearFaults();
        using (var resume = await app.Pipeline.Http.PostAsync(new Uri($"/api/videos/{jobId}/resume", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, resume.StatusCode);
        }

        await app.SaveAsync("archive-resumed", jobId, await app.Pipeline.WaitForJobAsync(jobId));
    }

    /// <summary>The job passes its deadline and ends without its video; fal then delivers it, and a salvage run archives it (2.x).</summary>
    [SkippableTheory]
    [InlineData("2.0")]
    [InlineData("2.1")]
    public async Task Salvage_OfAVideoDeliveredAfterTheEnd(string release)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = await StartAsync(release, ProductionBackendTests.HeldByClock(clock), new() { ["Jobs:Deadline"] = "00:00:02", ["Jobs:CancelGrace"] = "00:00:01" });
        string jobId = await app.Pipeline.StartJobAsync(Job("A video salvaged after its job ended"));
        var ended = await app.Pipeline.WaitForJobAsync(jobId);
        await ProductionBackendTests.FinishGenerationAsync(app.Pipeline.Fal, clock);
        var salvaged = await app.Pipeline.WaitForJobAsync(JobIds.SalvageIdFor(jobId));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, salvaged.RuntimeStatus);
        await app.SaveAsync("salvage-job", jobId, ended);
        await app.SaveAsync("salvage-run", salvaged.InstanceId, salvaged);
    }

    private async Task<Recording> StartAsync(string release, EmulatorOptions emulator, Dictionary<string, string?>? settings = null)
    {
        Skip.IfNot(Environment.GetEnvironmentVariable(Switch) == "1", $"Records test data, not a test: set {Switch}=1 to re-record {Folder}.");
        var backend = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(azurite.ConnectionString),
            TaskHubName = $"rec{Guid.NewGuid():N}"[..20],
            WorkerId = "history-recorder",
            UseTablePartitionManagement = true,
            PartitionCount = 1,
            MaxQueuePollingInterval = TimeSpan.FromMilliseconds(200),
        });
        await backend.CreateIfNotExistsAsync();
        string stamp = AppVersion(release) ?? "";
        var pipeline = await Pipeline.StartAsync(azurite, emulator, settings, services => services
            .Configure<DurableTaskClientOptions>(client => client.DefaultVersion = stamp), backend);
        return new Recording(pipeline, backend, release, output);
    }

    /// <summary>The app of one release on the Azure Storage backend, and where its histories go.</summary>
    private sealed class Recording(Pipeline pipeline, AzureStorageOrchestrationService backend, string release, ITestOutputHelper output) : IAsyncDisposable
    {
        public Pipeline Pipeline => pipeline;

        public async Task SaveAsync(string scenario, string instanceId, OrchestrationMetadata done)
        {
            var events = await HistoryExport.ReadAsync(backend, instanceId);
            var started = events.Select(e => e.ExecutionStarted).First(e => e is not null);
            Assert.Equal(AppVersion(release) ?? "", started.Version ?? "");
            string path = ContractFiles.InRepository($"{Folder}/{release}-{scenario}.json");
            HistoryExport.Write(path, new RecordedHistory($"{release} {scenario}", done.Name, release, done.RuntimeStatus.ToString(), done.SerializedCustomStatus, events));
            output.WriteLine($"recorded {events.Count} events of {instanceId} ({done.RuntimeStatus}) in {path} ({new FileInfo(path).Length} bytes)");
        }

        public async ValueTask DisposeAsync()
        {
            await pipeline.DisposeAsync();
            await backend.DeleteAsync();
        }
    }
}
