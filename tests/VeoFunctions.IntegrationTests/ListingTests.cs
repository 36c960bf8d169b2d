using System.Net;
using System.Text.Json;
using FalEmulator;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Storage;

namespace VeoFunctions.IntegrationTests;

/// <summary><c>GET /api/videos</c> over the job index: newest first across pages, by phase, since a time.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ListingTests(Azurite azurite)
{
    private static object Job(string prompt) => new { prompt, image_urls = new[] { TestImages.DataUri(TestImages.Png()) } };

    private static async Task<List<string>> StartAllAsync(Pipeline pipeline, params string[] prompts)
    {
        var ids = new List<string>();
        foreach (string prompt in prompts)
        {
            ids.Add(await pipeline.StartJobAsync(Job(prompt)));
        }

        foreach (string id in ids)
        {
            await pipeline.WaitForJobAsync(id);
        }

        return ids;
    }

    private static async Task<(List<string> Ids, List<string> Phases, string? Token)> PageAsync(Pipeline pipeline, string query)
    {
        var page = JsonDocument.Parse(await pipeline.Http.GetStringAsync("/api/videos?" + query)).RootElement;
        var jobs = page.GetProperty("jobs").EnumerateArray().ToList();
        return (
            jobs.Select(j => j.GetProperty("jobId").GetString()!).ToList(),
            jobs.Select(j => j.GetProperty("phase").GetString()!).ToList(),
            page.GetProperty("continuationToken").GetString());
    }

    private static async Task<List<string>> AllPagesAsync(Pipeline pipeline, string query)
    {
        var ids = new List<string>();
        string? token = null;
        do
        {
            var page = await PageAsync(pipeline, query + (token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token)));
            Assert.True(page.Ids.Count > 0 || page.Token is null, "a page with a token but no jobs while the scan is far from its bound");
            ids.AddRange(page.Ids);
            token = page.Token;
        }
        while (token is not null);

        return ids;
    }

    [Fact]
    public async Task Jobs_AreNewestFirstAcrossPages_NotOnlyWithinOne()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var ids = await StartAllAsync(pipeline, "one", "two", "three", "four", "five");

        var first = await PageAsync(pipeline, "top=2");
        var all = await AllPagesAsync(pipeline, "top=2");

        Assert.Equal(ids.AsEnumerable().Reverse().Take(2), first.Ids);
        Assert.NotNull(first.Token);
        Assert.Equal(ids.AsEnumerable().Reverse(), all);
    }

    [Fact]
    public async Task APhase_ListsOnlyItsJobs_ScanningOnToFillThePage()
    {
        var emulator = new EmulatorOptions();
        emulator.Faults.Add(FaultRule.Generation(FaultKind.GenerationError, promptContains: "refused", count: null));
        await using var pipeline = await Pipeline.StartAsync(azurite, emulator);
        var ids = await StartAllAsync(pipeline, "done 1", "refused 1", "done 2", "refused 2", "refused 3");

        var failed = await PageAsync(pipeline, "phase=failed&top=10");
        var completed = await PageAsync(pipeline, "phase=completed&top=2");
        var firstFailed = await PageAsync(pipeline, "phase=failed&top=1");

        Assert.Equal([ids[4], ids[3], ids[1]], failed.Ids);
        Assert.All(failed.Phases, phase => Assert.Equal("failed", phase));
        Assert.Null(failed.Token);
        Assert.Equal([ids[2], ids[0]], completed.Ids); // three failed jobs newer than the first completed one were passed over
        Assert.Equal([ids[4]], firstFailed.Ids);
        Assert.Equal([ids[4], ids[3], ids[1]], await AllPagesAsync(pipeline, "phase=failed&top=1"));
    }

    [Fact]
    public async Task Since_ListsOnlyJobsStartedFromThen()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var older = await StartAllAsync(pipeline, "old");
        var since = DateTimeOffset.UtcNow;
        var newer = await StartAllAsync(pipeline, "new 1", "new 2");

        var page = await PageAsync(pipeline, "since=" + Uri.EscapeDataString(since.ToString("O")) + "&top=1");

        Assert.Equal([newer[1]], page.Ids);
        Assert.Equal([newer[1], newer[0]], await AllPagesAsync(pipeline, "since=" + Uri.EscapeDataString(since.ToString("O")) + "&top=1"));
        Assert.DoesNotContain(older[0], await AllPagesAsync(pipeline, "since=" + Uri.EscapeDataString(since.ToString("O"))));
    }

    [Fact]
    public async Task EntriesWithoutTheirJob_AreSkipped_AndAJobStartedBeforeTheIndex_IsBackfilledOnce()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var ids = await StartAllAsync(pipeline, "before the index", "after it");
        var startedAt = (await pipeline.Client.GetInstanceAsync(ids[0], getInputsAndOutputs: true))!.ReadInputAs<Jobs.VideoJobInput>()!.CreatedAt;

        // The first job as if started by a release without the index; a starter that died before scheduling; a start
        // taken over by another starter, which left the first starter's entry behind under an earlier time.
        await pipeline.Work.DeleteBlobAsync(JobIndex.EntryName(ids[0], startedAt));
        await pipeline.Work.UploadBlobAsync(JobIndex.EntryName("0123456789abcdef0123456789abcdef", DateTimeOffset.UtcNow), BinaryData.Empty);
        await pipeline.Work.UploadBlobAsync(JobIndex.EntryName(ids[1], startedAt.AddMilliseconds(-1)), BinaryData.Empty);

        var listed = await AllPagesAsync(pipeline, "top=1");

        Assert.Equal([ids[1], ids[0]], listed);
        Assert.True((await pipeline.Work.GetBlobClient(JobIndex.BackfilledMarker).ExistsAsync()).Value);
        Assert.True((await pipeline.Work.GetBlobClient(JobIndex.EntryName(ids[0], startedAt)).ExistsAsync()).Value);
    }

    [Theory]
    [InlineData("phase=done", "phase must be one of validating, uploading, submitting, queued, generating, archiving, completed, failed, cancelled.")]
    [InlineData("phase=Completed", "phase must be one of validating, uploading, submitting, queued, generating, archiving, completed, failed, cancelled.")]
    [InlineData("continuationToken=%00not-a-token%FF", "continuationToken is not one this endpoint returned.")]
    [InlineData("top=201", "top must be a whole number from 1 to 200.")]
    [InlineData("since=yesterday", "since must be an ISO 8601 date and time.")]
    public async Task ABadQuery_Is400SayingWhatIsWrong(string query, string detail)
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);

        using var response = await pipeline.Http.GetAsync("/api/videos?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(detail, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString());
    }
}
