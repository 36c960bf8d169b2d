using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using FalEmulator;
using VeoFunctions.RealHostTests.Infrastructure;
using VeoFunctions.Testing;

namespace VeoFunctions.RealHostTests;

/// <summary>
/// The manifest door through the host's own Event Grid endpoint (<c>/runtime/webhooks/blobs</c>, the blobs_extension
/// key, the event as Event Grid sends it), fired by <c>scripts/drop-manifest</c> as a user fires it.
/// </summary>
[Trait("Category", "RealHost")]
[Collection(RealHostCollection.Name)]
public sealed partial class BlobDoorTests(RealHostFixture host)
{
    [SkippableFact]
    public async Task AManifest_StartsItsJobs_AndGetsItsResultFile_WhileTheAppsOwnFilesStartNothing()
    {
        var app = host.Require();
        long submissions = app.Fal.State.GetCount(RequestKind.Submit);
        var manifest = new
        {
            jobs = new[]
            {
                new { id = "shot-1", prompt = "A heron lands on a pier at dawn", image_urls = new[] { Samples.DataUri("meadow.png") } },
                new { id = "shot-2", prompt = "The heron takes off", image_urls = new[] { Samples.DataUri("ball.jpg") } },
            },
        };

        await DropAsync(app, "nightly/shots.json", JsonSerializer.Serialize(manifest));
        var result = await WaitForFileAsync(app, "nightly/shots.result.json", r => r.GetProperty("counts").GetProperty("running").GetInt32() == 0, "every job of the manifest to end");

        Assert.Equal(2, result.GetProperty("counts").GetProperty("completed").GetInt32());
        Assert.Equal(submissions + 2, app.Fal.State.GetCount(RequestKind.Submit));

        // Event Grid reports the app's own result file like any blob: delivered, it must start nothing.
        int runs = Runs(app);
        await DropAsync(app, "nightly/shots.result.json", result.ToString());
        await WaitForRunsAsync(app, runs + 1);
        Assert.Equal(submissions + 2, app.Fal.State.GetCount(RequestKind.Submit));
    }

    [SkippableFact]
    public async Task ABadManifest_GetsItsErrorFile_StartsNothing_AndItsErrorFileStartsNothingEither()
    {
        var app = host.Require();
        long submissions = app.Fal.State.GetCount(RequestKind.Submit);

        await DropAsync(app, "nightly/bad.json", """{ "jobs": [ { "id": "no-prompt", "image_urls": [] } ] }""");
        var errors = await WaitForFileAsync(app, "nightly/bad.error.json", _ => true, "the manifest's error file");

        Assert.Contains(errors.GetProperty("problems").EnumerateArray(), p => p.GetProperty("field").GetString() == "prompt");
        Assert.Null(await ReadAsync(app, "nightly/bad.result.json"));

        int runs = Runs(app);
        await DropAsync(app, "nightly/bad.error.json", errors.ToString());
        await WaitForRunsAsync(app, runs + 1);
        Assert.Equal(submissions, app.Fal.State.GetCount(RequestKind.Submit));
    }

    private static async Task DropAsync(RealHostApp app, string name, string content)
    {
        string file = Path.Combine(Path.GetTempPath(), $"manifest-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, content);
        try
        {
            var (exit, output) = await Script.RunAsync("scripts/drop-manifest", [file, name], new Dictionary<string, string?>
            {
                ["FUNCTIONS_URL"] = app.BaseUrl,
                ["AZURITE_BLOB_URL"] = $"http://127.0.0.1:{app.Azurite.BlobPort}/devstoreaccount1",
                ["JOBS_CONTAINER"] = "jobs",
                ["FUNCTIONS_MASTER_KEY"] = app.MasterKey, // the script looks the blobs_extension key up with it
                ["BLOBS_EXTENSION_KEY"] = null,
            }, TimeSpan.FromMinutes(2));
            Assert.True(exit == 0, $"drop-manifest exited {exit}:\n{output}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<JsonElement?> ReadAsync(RealHostApp app, string name)
    {
        var blob = new BlobContainerClient(app.Azurite.ConnectionString, "jobs").GetBlobClient(name);
        if (!await blob.ExistsAsync())
        {
            return null;
        }

        return JsonDocument.Parse((await blob.DownloadContentAsync()).Value.Content.ToString()).RootElement.Clone();
    }

    private static async Task<JsonElement> WaitForFileAsync(RealHostApp app, string name, Func<JsonElement, bool> until, string what)
    {
        JsonElement? file = null;
        try
        {
            await Poll.UntilAsync(async () => (file = await ReadAsync(app, name)) is { } f && until(f), RealHostApp.JobPatience, TimeSpan.FromMilliseconds(250));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Gave up after {RealHostApp.JobPatience} waiting for {what} ({name}); it read: {file?.ToString() ?? "nothing"}.\n{app.Tail()}");
        }

        return file!.Value;
    }

    // The host logs each run of the blob trigger as it ends: the proof that a delivery was handled, not merely sent.
    private static int Runs(RealHostApp app) => ExecutedManifestRun().Count(app.Log);

    private static async Task WaitForRunsAsync(RealHostApp app, int runs)
    {
        try
        {
            await Poll.UntilAsync(() => Runs(app) >= runs, RealHostApp.JobPatience, $"the host to run StartManifestJobs {runs} times");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} It ran {Runs(app)} times.\n{app.Tail()}", ex);
        }
    }

    [GeneratedRegex(@"Executed 'Functions\.StartManifestJobs' \(Succeeded")]
    private static partial Regex ExecutedManifestRun();
}
