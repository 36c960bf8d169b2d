using System.Net;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Money;
using VeoFunctions.Operations;
using VeoFunctions.Testing;
using VeoFunctions.Storage;

namespace VeoFunctions.IntegrationTests;

/// <summary>What is kept and what may be deleted: a purged history or expired staged images never re-bill a replay.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class RetentionTests(Azurite azurite)
{
    [Fact]
    public async Task AReplayedIdempotencyKey_AfterTheJobsHistoryWasPurged_ReturnsTheSameJob_AndNothingNewReachesFal()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var body = new { prompt = "A heron waits in the reeds", image_urls = new[] { TestImages.DataUri(TestImages.Png()) } };
        string jobId = await pipeline.StartJobAsync(body, idempotencyKey: "order-kept");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(jobId)).RuntimeStatus);
        var purge = await pipeline.Durable.Client.PurgeInstanceAsync(jobId);
        Assert.Equal(1, purge.PurgedInstanceCount);
        Assert.Null(await pipeline.Durable.Client.GetInstanceAsync(jobId));
        var falCalls = pipeline.Fal.State.Counts;

        using var replay = await pipeline.PostJobAsync(body, idempotencyKey: "order-kept");

        string text = await replay.Content.ReadAsStringAsync();
        Assert.True(replay.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {(int)replay.StatusCode}: {text}");
        var accepted = JsonDocument.Parse(text).RootElement;
        Assert.Equal(jobId, accepted.GetProperty("jobId").GetString());
        Assert.True(accepted.GetProperty("replayed").GetBoolean());
        Assert.Null(await pipeline.Durable.Client.GetInstanceAsync(jobId)); // nothing was scheduled again
        Assert.Equal(falCalls, pipeline.Fal.State.Counts);
        Assert.Single(pipeline.Fal.State.Submissions);
    }

    [Fact]
    public async Task TheScheduledPurge_RemovesFinishedHistories_ButAReplayedKeyIsStillTheSameJob_AndNothingNewReachesFal()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, settings: new Dictionary<string, string?> { ["Retention:HistoryDays"] = "1" });
        var body = new { prompt = "A heron, purged", image_urls = new[] { TestImages.DataUri(TestImages.Png()) } };
        string jobId = await pipeline.StartJobAsync(body, idempotencyKey: "order-purged");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(jobId)).RuntimeStatus);
        var falCalls = pipeline.Fal.State.Counts;

        int purged = await Retention(pipeline, DateTimeOffset.UtcNow.AddDays(2)).PurgeAsync(pipeline.Client, CancellationToken.None);

        Assert.Equal(1, purged);
        Assert.Null(await pipeline.Client.GetInstanceAsync(jobId));
        using var replay = await pipeline.PostJobAsync(body, idempotencyKey: "order-purged");
        var accepted = JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal((jobId, true), (accepted.GetProperty("jobId").GetString(), accepted.GetProperty("replayed").GetBoolean()));
        Assert.Null(await pipeline.Client.GetInstanceAsync(jobId));
        Assert.Equal(falCalls, pipeline.Fal.State.Counts);
    }

    [Fact]
    public async Task ThePurge_LeavesRunningJobs_AndHistoriesYoungerThanTheirDays()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.Fal(FalEmulator.FaultRule.Generation(FalEmulator.FaultKind.Stuck)),
            new Dictionary<string, string?> { ["Retention:HistoryDays"] = "1" });
        string running = await pipeline.StartJobAsync(new { prompt = "A heron, still waiting", image_urls = new[] { TestImages.DataUri(TestImages.Png()) } });
        await Poll.UntilAsync(() => pipeline.Fal.State.Submissions.Count == 1);

        int purgedNow = await Retention(pipeline, DateTimeOffset.UtcNow).PurgeAsync(pipeline.Client, CancellationToken.None);
        int purgedLater = await Retention(pipeline, DateTimeOffset.UtcNow.AddDays(2)).PurgeAsync(pipeline.Client, CancellationToken.None);

        Assert.Equal((0, 0), (purgedNow, purgedLater));
        Assert.NotNull(await pipeline.Client.GetInstanceAsync(running));
    }

    [Fact]
    public async Task AJobsSalvageRun_IsPurgedWithTheJob()
    {
        var clock = PipelineProbes.Clock();
        var generation = TimeSpan.FromMinutes(1);
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.OnClock(clock, generation),
            new Dictionary<string, string?> { ["Jobs:Deadline"] = "00:00:02", ["Jobs:FirstStatusCheck"] = "00:00:00.500", ["Jobs:CancelGrace"] = "00:00:01", ["Retention:HistoryDays"] = "1" });
        string jobId = await pipeline.StartJobAsync(new { prompt = "A heron, late", image_urls = new[] { TestImages.DataUri(TestImages.Png()) } });
        await pipeline.WaitForJobAsync(jobId);
        clock.Advance(generation); // fal delivers after the job gave up: a salvage run archives it
        var salvage = await pipeline.WaitForSalvageAsync(jobId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, salvage.RuntimeStatus);

        int purged = await Retention(pipeline, DateTimeOffset.UtcNow.AddDays(2)).PurgeAsync(pipeline.Client, CancellationToken.None);

        Assert.Equal(2, purged);
        Assert.Null(await pipeline.Client.GetInstanceAsync(jobId));
        Assert.Null(await pipeline.Client.GetInstanceAsync(Jobs.JobIds.SalvageIdFor(jobId)));
    }

    // The app's retention, on a clock set to the given day.
    private static HistoryRetention Retention(Pipeline pipeline, DateTimeOffset now) =>
        ActivatorUtilities.CreateInstance<HistoryRetention>(pipeline.Functions.Services, new FakeTimeProvider(now));

    [Fact]
    public async Task StagedImagesAndClaims_LiveUnderTheirOwnPrefixes_SoTheRetentionRuleReachesOnlyStagedImages()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        string jobId = await pipeline.StartJobAsync(
            new { prompt = "A heron waits in the reeds", image_urls = new[] { TestImages.DataUri(TestImages.Png()) } }, idempotencyKey: "order-prefixes");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(jobId)).RuntimeStatus);

        var names = new List<string>();
        await foreach (var blob in pipeline.Work.GetBlobsAsync())
        {
            names.Add(blob.Name);
        }

        Assert.Contains(JobClaims.BlobName(jobId), names);
        Assert.Contains($"{ImageStaging.Prefix}{jobId}/images/0.png", names);
        Assert.DoesNotContain(names, name => name.StartsWith(ImageStaging.Prefix, StringComparison.Ordinal) && !name.StartsWith($"{ImageStaging.Prefix}{jobId}/images/", StringComparison.Ordinal));
    }
}
