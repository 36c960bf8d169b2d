using System.Net;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Money;
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
