using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VeoFunctions.Archive;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// fal's CDN going quiet mid-video, on real Kestrel and real Azurite: the attempt fails with a transient error well
/// before the function would time out, and nothing appears under the video's final name.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class ArchiveStallTests(Azurite azurite) : IAsyncLifetime
{
    private const int Declared = 8 * 1024 * 1024;

    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<ServiceProvider> _services = [];
    private WebApplication _cdn = null!;
    private string _cdnUrl = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _cdn = builder.Build();
        _cdn.MapGet("/stalls-after-a-megabyte.mp4", async (HttpContext context) =>
        {
            context.Response.ContentType = "video/mp4";
            context.Response.ContentLength = Declared;
            await context.Response.Body.WriteAsync(new byte[1024 * 1024], context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Stalled(context);
        });
        _cdn.MapGet("/never-answers.mp4", Stalled);
        _cdn.MapGet("/trickles.mp4", async (HttpContext context) =>
        {
            context.Response.ContentType = "video/mp4";
            context.Response.ContentLength = Declared;
            for (int i = 0; i < 600 && !_release.Task.IsCompleted; i++)
            {
                await context.Response.Body.WriteAsync(new byte[16], context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(50, context.RequestAborted);
            }
        });
        await _cdn.StartAsync();
        _cdnUrl = _cdn.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    }

    public async Task DisposeAsync()
    {
        _release.TrySetResult();
        foreach (var services in _services)
        {
            await services.DisposeAsync();
        }

        await _cdn.StopAsync();
        await _cdn.DisposeAsync();
    }

    // Holds the response open until the client gives up or the test ends (bounded, so a broken test cannot hang).
    private async Task Stalled(HttpContext context)
    {
        try
        {
            await _release.Task.WaitAsync(Patience.Job, context.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            // The client gave up, as it should.
        }
    }

    private (VideoArchive Archive, BlobContainerClient Videos) Archive(string idleTimeout, string timeout = "00:08:00")
    {
        string videos = $"stall-{Guid.NewGuid():N}"[..30];
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:VideosContainer"] = videos,
            ["Storage:WorkContainer"] = videos + "-w",
            ["Fal:Key"] = "test-id:test-secret",
            ["Jobs:PublicBaseUrl"] = "http://127.0.0.1:9",
            ["Archive:IdleTimeout"] = idleTimeout,
            ["Archive:Timeout"] = timeout,
            ["Fal:MediaHosts:0"] = "127.0.0.1", // the stalling CDN stands in for fal's
            ["Images:AllowedPrivateHosts:0"] = "127.0.0.1",
            ["Images:AllowHttp"] = "true",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddVeoFunctions().BuildServiceProvider();
        _services.Add(services);
        return (services.GetRequiredService<VideoArchive>(), new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(videos));
    }

    private ArchiveRequest Request(string jobId, string path) => new(
        jobId, "req-stall", _cdnUrl + path, Declared, new VideoRequest("A stalled video"), 1,
        DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

    private static async Task<TimeoutException> FailsOnItsOwnAsync(Task archiving)
    {
        // The bound only keeps a broken test from hanging; the archive's own limit is far shorter.
        var first = await Task.WhenAny(archiving, Task.Delay(Patience.Condition));
        Assert.Same(archiving, first);
        return await Assert.ThrowsAsync<TimeoutException>(() => archiving);
    }

    [Theory]
    [InlineData("/stalls-after-a-megabyte.mp4", "The video download from fal stalled")]
    [InlineData("/never-answers.mp4", "fal's answer to the video download stalled")]
    public async Task AStalledDownload_FailsTheAttemptWithATransientTimeout_AndCommitsNothing(string path, string reason)
    {
        var (archive, videos) = Archive(idleTimeout: "00:00:00.500");
        var request = Request(Guid.NewGuid().ToString("N"), path);

        var ex = await FailsOnItsOwnAsync(archive.ArchiveAsync(request, CancellationToken.None));

        Assert.StartsWith(reason, ex.Message, StringComparison.Ordinal);
        Assert.IsNotType<JobFailedException>(ex); // only JobFailedException is final: the durable retry tries again
        string videoName = VideoArchive.VideoBlobName(request.JobId, request.CreatedAt);
        Assert.False(await videos.GetBlobClient(videoName).ExistsAsync());
        Assert.False(await videos.GetBlobClient(Path.ChangeExtension(videoName, ".json")).ExistsAsync());
    }

    [Fact]
    public async Task ADownloadThatTricklesJustFastEnough_IsCutAtTheArchivesTimeout_AndCommitsNothing()
    {
        // Bytes every 50 ms against an idle limit of 3 s: never idle, however busy the machine; cut by the total of 4 s.
        var (archive, videos) = Archive(idleTimeout: "00:00:03", timeout: "00:00:04");
        var request = Request(Guid.NewGuid().ToString("N"), "/trickles.mp4");

        var ex = await FailsOnItsOwnAsync(archive.ArchiveAsync(request, CancellationToken.None));

        Assert.StartsWith("Archiving the video took longer than 4 s", ex.Message, StringComparison.Ordinal);
        Assert.False(await videos.GetBlobClient(VideoArchive.VideoBlobName(request.JobId, request.CreatedAt)).ExistsAsync());
    }
}
