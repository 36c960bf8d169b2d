using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// scripts/drop-manifest against real Azurite and a stand-in for the Functions host (Core Tools cannot run here): the
/// manifest lands in the jobs container, and the host gets exactly the Event Grid request the cloud sends for it.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class DropManifestScriptTests(Azurite azurite) : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Path, string Query, Dictionary<string, string> Headers, string Body)> _events = new();
    private readonly string _container = "jobs-" + Guid.NewGuid().ToString("N")[..8];
    private WebApplication _host = null!;
    private int _answer = StatusCodes.Status202Accepted;
    private string? _systemKey = "blobs-key-123";

    private string BlobEndpoint => $"http://127.0.0.1:{azurite.BlobPort}/devstoreaccount1";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _host = builder.Build();
        _host.MapGet("/admin/host/systemkeys/blobs_extension", () => _systemKey is null
            ? Results.NotFound()
            : Results.Json(new { name = "blobs_extension", value = _systemKey }));
        _host.MapPost("/runtime/webhooks/blobs", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()); // copied: Kestrel reuses them
            _events.Enqueue((context.Request.Path.Value!, context.Request.QueryString.Value!, headers, await reader.ReadToEndAsync()));
            return Results.StatusCode(_answer);
        });
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
    }

    private async Task<(int ExitCode, string Output)> DropAsync(string file, string? name = null)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "scripts", "drop-manifest"));
        start.ArgumentList.Add(file);
        if (name is not null)
        {
            start.ArgumentList.Add(name);
        }

        start.Environment["FUNCTIONS_URL"] = _host.Urls.First();
        start.Environment["AZURITE_BLOB_URL"] = BlobEndpoint;
        start.Environment["JOBS_CONTAINER"] = _container;
        start.Environment.Remove("BLOBS_EXTENSION_KEY");
        start.Environment.Remove("FUNCTIONS_MASTER_KEY");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience.Condition);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string Manifest(string content)
    {
        string path = Path.Combine(Path.GetTempPath(), $"manifest-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task TheManifest_LandsInTheJobsContainer_AndTheHostGetsTheEventGridRequestForIt()
    {
        const string Content = """{"jobs":[{"id":"a","prompt":"A fox runs through snow","image_urls":["https://example.com/fox.png"]}]}""";
        string file = Manifest(Content);

        var (exit, output) = await DropAsync(file, "nightly/run 1/fox é.json");

        Assert.True(exit == 0, output);
        var blob = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(_container).GetBlobClient("nightly/run 1/fox é.json");
        var downloaded = await blob.DownloadContentAsync();
        Assert.Equal(Content, downloaded.Value.Content.ToString());
        Assert.Equal("application/json", downloaded.Value.Details.ContentType);

        var (path, query, headers, body) = Assert.Single(_events);
        Assert.Equal("/runtime/webhooks/blobs", path);
        Assert.Equal("?functionName=Host.Functions.StartManifestJobs&code=blobs-key-123", query);
        Assert.Equal("Notification", headers["aeg-event-type"]);
        Assert.Equal("application/json", headers["content-type"]);

        using var json = JsonDocument.Parse(body);
        var @event = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("Microsoft.Storage.BlobCreated", @event.GetProperty("eventType").GetString());
        Assert.Equal($"/blobServices/default/containers/{_container}/blobs/nightly/run 1/fox é.json", @event.GetProperty("subject").GetString());
        Assert.Equal("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/devstoreaccount1", @event.GetProperty("topic").GetString());
        Assert.Equal("1", @event.GetProperty("metadataVersion").GetString());
        Assert.True(Guid.TryParse(@event.GetProperty("id").GetString(), out _));
        Assert.True(DateTimeOffset.TryParse(@event.GetProperty("eventTime").GetString(), out _));
        var data = @event.GetProperty("data");
        Assert.Equal("PutBlob", data.GetProperty("api").GetString());
        Assert.Equal("BlockBlob", data.GetProperty("blobType").GetString());
        Assert.Equal("application/json", data.GetProperty("contentType").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(Content), data.GetProperty("contentLength").GetInt64());
        Assert.Equal(downloaded.Value.Details.ETag.ToString().Trim('"'), data.GetProperty("eTag").GetString());

        // The form of URL the host parses into container and blob: an IP host, the account as the first segment.
        var url = new Uri(data.GetProperty("url").GetString()!);
        Assert.Equal($"{BlobEndpoint}/{_container}/nightly/run%201/fox%20%C3%A9.json", url.AbsoluteUri);
        Assert.Equal($"/devstoreaccount1/{_container}/nightly/run 1/fox é.json", Uri.UnescapeDataString(url.AbsolutePath));
    }

    [Fact]
    public async Task WithoutAName_TheManifestGoesUnderBatch()
    {
        string file = Manifest("""{"prompt":"x","image_urls":["https://example.com/a.png"]}""");

        var (exit, output) = await DropAsync(file);

        Assert.True(exit == 0, output);
        string expected = "batch/" + Path.GetFileName(file);
        Assert.True(await new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(_container).GetBlobClient(expected).ExistsAsync());
        using var json = JsonDocument.Parse(Assert.Single(_events).Body);
        Assert.EndsWith("/blobs/" + expected, json.RootElement[0].GetProperty("subject").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHostWithoutAKeyToGive_GetsTheEventWithoutOne_AsCoreToolsTakesIt()
    {
        _systemKey = null;

        var (exit, output) = await DropAsync(Manifest("{}"), "k.json");

        Assert.True(exit == 0, output);
        Assert.Equal("?functionName=Host.Functions.StartManifestJobs", Assert.Single(_events).Query);
    }

    [Fact]
    public async Task AHostThatRefusesTheEvent_FailsTheScript_SayingWhichKeyToGive()
    {
        _answer = StatusCodes.Status401Unauthorized;

        var (exit, output) = await DropAsync(Manifest("{}"), "k.json");

        Assert.NotEqual(0, exit);
        Assert.Contains("set BLOBS_EXTENSION_KEY", output, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VeoFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("VeoFunctions.sln not found above the test binaries.");
    }
}
