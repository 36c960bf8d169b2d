using System.Net;
using System.Text.Json;
using FalEmulator;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>The status's download link and <c>GET /api/videos/{id}/video</c>, fetched from Azurite as anyone would.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DownloadLinkTests(Azurite azurite)
{
    private static object Job() => new { prompt = "A kite over a beach", image_urls = new[] { TestImages.DataUri(TestImages.Png()) } };

    [Fact]
    public async Task TheStatusLink_OpensTheArchivedVideoWithoutAKey_UntilItsLifetimeEnds_AndIsNeverStored()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, settings: new Dictionary<string, string?> { ["Storage:DownloadLinkLifetime"] = "00:10:00" });
        string jobId = await pipeline.StartJobAsync(Job());
        var done = await pipeline.WaitForJobAsync(jobId);
        var before = DateTimeOffset.UtcNow;

        var video = (await pipeline.GetStatusAsync(jobId)).GetProperty("video");
        var link = new Uri(video.GetProperty("downloadUrl").GetString()!);
        using var anyone = new HttpClient();
        using var response = await anyone.GetAsync(link);
        using var privateBlob = await anyone.GetAsync(video.GetProperty("blobUrl").GetString());
        using var tampered = await anyone.GetAsync(link.AbsoluteUri.Replace("sp=r", "sp=rw", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("video/mp4", response.Content.Headers.ContentType?.MediaType);
        var archived = (await pipeline.Videos.GetBlobClient(video.GetProperty("blobName").GetString()).DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(archived, await response.Content.ReadAsByteArrayAsync());
        Assert.InRange(video.GetProperty("downloadUrlExpiresAt").GetDateTimeOffset(), before.AddMinutes(10).AddSeconds(-5), DateTimeOffset.UtcNow.AddMinutes(10));
        Assert.False(privateBlob.IsSuccessStatusCode); // the container is private: the link is what opens it
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);
        var stored = done.ReadOutputAs<VideoJobResult>()!.Video;
        Assert.Null(stored.DownloadUrl);
        Assert.Null(stored.DownloadUrlExpiresAt);

        // No cache may keep an answer that carries the link: the status, and the listing that shows it too.
        using var status = await pipeline.Http.GetAsync($"/api/videos/{jobId}");
        using var listing = await pipeline.Http.GetAsync("/api/videos");
        Assert.Contains("downloadUrl", await listing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(status.Headers.CacheControl?.NoStore, "the status document is cacheable");
        Assert.True(listing.Headers.CacheControl?.NoStore, "the listing is cacheable");
    }

    [Fact]
    public async Task TheVideoEndpoint_RedirectsToAFreshLink_404sUnknownJobs_And409sJobsWithoutAVideo()
    {
        var emulator = new EmulatorOptions();
        emulator.Faults.Add(FaultRule.Generation(FaultKind.Stuck, promptContains: "stuck"));
        await using var pipeline = await Pipeline.StartAsync(azurite, emulator);
        string jobId = await pipeline.StartJobAsync(Job());
        string stuckId = await pipeline.StartJobAsync(new { prompt = "A stuck kite", image_urls = new[] { TestImages.DataUri(TestImages.Png()) } });
        await pipeline.WaitForJobAsync(jobId);
        await Poll.UntilAsync(() => pipeline.Fal.State.Submissions.Count == 2);

        using var app = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = pipeline.Functions.BaseUrl };
        using var redirect = await app.GetAsync($"/api/videos/{jobId}/video");
        using var unknown = await app.GetAsync("/api/videos/0123456789abcdef0123456789abcdef/video");
        using var notYet = await app.GetAsync($"/api/videos/{stuckId}/video");

        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
        Assert.True(redirect.Headers.CacheControl?.NoStore);
        var location = redirect.Headers.Location!;
        Assert.Equal(azurite.BlobPort, location.Port);
        using var anyone = new HttpClient();
        var archived = (await pipeline.Videos.GetBlobClient((await pipeline.GetStatusAsync(jobId)).GetProperty("video").GetProperty("blobName").GetString()).DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(archived, await anyone.GetByteArrayAsync(location));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, notYet.StatusCode);
        Assert.Matches("^The job has no video yet: it is (queued|generating)\\.$", JsonDocument.Parse(await notYet.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString());
    }
}
