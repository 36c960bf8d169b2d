using System.Text.Json;
using System.Text.RegularExpressions;
using FalEmulator;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;
using VeoFunctions.Testing;
using Xunit.Abstractions;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// The <c>veo</c> command line against the running pipeline: the app's HTTP functions, the real durable engine,
/// Azurite and the fal emulator. What a user types, what they get, and the exit code a script sees.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class CliTests(Azurite azurite, ITestOutputHelper output)
{
    private const string Prompt = "A heron lands on a pier at dawn";

    // The MP4 fal made for the pipeline's only (or given) request, as fal serves it.
    private static async Task<byte[]> FalVideoAsync(Pipeline pipeline, string? prompt = null)
    {
        var submission = Assert.Single(pipeline.Fal.State.Submissions, s => prompt is null || s.InputJson.Contains(prompt, StringComparison.Ordinal));
        string url = JsonDocument.Parse(pipeline.Fal.State.GetSubmission(submission.RequestId)!.OutputJson!).RootElement.GetProperty("video").GetProperty("url").GetString()!;
        using var raw = new HttpClient();
        return await raw.GetByteArrayAsync(url);
    }

    private static string WriteImage(VeoRun veo, string name = "sample.png")
    {
        System.IO.File.WriteAllBytes(veo.File(name), TestImages.Png(32, 24));
        return name;
    }

    [Fact]
    public async Task CreateWatchOut_SavesFalsVideoByteForByte_ThenListAndDownloadFindIt()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        using var veo = new VeoRun(pipeline, output);

        var created = await veo.RunAsync("create", "--prompt", Prompt, "--image", WriteImage(veo), "--idempotency-key", "cli-happy", "--watch", "--out", "clip.mp4");

        Assert.True(created.ExitCode == 0, created.Out + created.Error);
        string jobId = JobScheduler.JobIdFor("cli-happy");
        byte[] fal = await FalVideoAsync(pipeline);
        Assert.Equal(fal, await System.IO.File.ReadAllBytesAsync(veo.File("clip.mp4")));
        Assert.Contains($"Job {jobId} created.", created.Out, StringComparison.Ordinal);
        // One line per phase, named as the status's phase names them (the timeline included), in order.
        var phases = Regex.Matches(created.Out, @"^\s+\d+:\d\d (\w+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(phases.Distinct(), phases);
        Assert.Equal(("validating", "completed"), (phases[0], phases[^1]));
        Assert.Contains($"{fal.Length} bytes as archived", created.Out, StringComparison.Ordinal);

        var completed = await veo.RunAsync("list", "--phase", "completed");
        var failed = await veo.RunAsync("list", "--phase", "failed");
        Assert.Equal(0, completed.ExitCode);
        Assert.Contains(jobId, completed.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(jobId, failed.Out, StringComparison.Ordinal);
        Assert.Contains("No failed jobs.", failed.Out, StringComparison.Ordinal);

        veo.Requests.Clear();
        var downloaded = await veo.RunAsync("download", jobId, "--out", "again.mp4");

        Assert.True(downloaded.ExitCode == 0, downloaded.Out + downloaded.Error);
        Assert.Equal(fal, await System.IO.File.ReadAllBytesAsync(veo.File("again.mp4")));
        // Streamed from Azurite through the status's SAS link, which carries no function key; never through /video.
        var fromStorage = Assert.Single(veo.Requests, r => r.Url.Port == azurite.BlobPort);
        Assert.Contains("sig=", fromStorage.Url.Query, StringComparison.Ordinal);
        Assert.Contains("sp=r", fromStorage.Url.Query, StringComparison.Ordinal);
        Assert.False(fromStorage.FunctionKey);
        Assert.DoesNotContain(veo.Requests, r => r.Url.AbsolutePath.EndsWith("/video", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AContentPolicyFailure_ExitsWith2_AndSaysFalsReason()
    {
        var emulator = new EmulatorOptions();
        emulator.Faults.Add(FaultRule.Generation(FaultKind.GenerationError));
        await using var pipeline = await Pipeline.StartAsync(azurite, emulator);
        using var veo = new VeoRun(pipeline, output);

        var run = await veo.RunAsync("create", "--prompt", Prompt, "--image", WriteImage(veo), "--watch", "--out", "clip.mp4");

        Assert.True(run.ExitCode == 2, run.Out + run.Error);
        Assert.Contains("Failed after", run.Out, StringComparison.Ordinal);
        Assert.Contains("content_policy_violation", run.Out, StringComparison.Ordinal);
        Assert.Contains("No video to save to clip.mp4.", run.Out, StringComparison.Ordinal);
        Assert.False(System.IO.File.Exists(veo.File("clip.mp4")));
    }

    [Fact]
    public async Task ACallersCancel_EndsTheWatchWithExit3_AndCancelsAtFal()
    {
        var emulator = new EmulatorOptions();
        emulator.Faults.Add(FaultRule.Generation(FaultKind.Stuck));
        await using var pipeline = await Pipeline.StartAsync(azurite, emulator);
        using var veo = new VeoRun(pipeline, output);
        string image = WriteImage(veo);
        string jobId = JobScheduler.JobIdFor("cli-cancel");

        var watching = veo.RunAsync("create", "--prompt", Prompt, "--image", image, "--idempotency-key", "cli-cancel", "--watch");
        await Poll.UntilAsync(() => pipeline.Fal.State.Submissions.Count == 1 || watching.IsCompleted, Patience.Job);
        var cancel = await veo.RunAsync("cancel", jobId);
        var watched = await watching;

        Assert.True(cancel.ExitCode == 0, cancel.Out + cancel.Error);
        Assert.True(watched.ExitCode == 3, watched.Out + watched.Error);
        Assert.Contains("Cancelled after", watched.Out, StringComparison.Ordinal);
        Assert.Contains("cancelled by its caller", watched.Out, StringComparison.Ordinal);
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Cancel));
    }

    [Fact]
    public async Task InputTheAppRefuses_ExitsWith4_NamingTheOptionAndTheImage()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        using var veo = new VeoRun(pipeline, output);

        // A PNG signature passes veo's own check; the app decodes the header and refuses it.
        var bytes = new byte[64];
        TestImages.Png().AsSpan(0, 8).CopyTo(bytes);
        await System.IO.File.WriteAllBytesAsync(veo.File("broken.png"), bytes);
        var badImage = await veo.RunAsync("create", "--prompt", Prompt, "--image", "broken.png");
        var badField = await veo.RunAsync("create", "--prompt", Prompt, "--image", WriteImage(veo), "--resolution", "8k");

        Assert.Equal(4, badImage.ExitCode);
        Assert.StartsWith("veo: The app rejected the request (400): --image broken.png: ", badImage.Error, StringComparison.Ordinal);
        Assert.Equal(4, badField.ExitCode);
        Assert.StartsWith("veo: The app rejected the request (400): --resolution: ", badField.Error, StringComparison.Ordinal);
        Assert.Empty(pipeline.Fal.State.Submissions);
    }

    [Fact]
    public async Task ManifestRun_RunsAManifestWhoseEventWasLost_AndFailsForOneThatIsNotThere()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        using var veo = new VeoRun(pipeline, output);
        await door.DropAsync("lost/cli.json", new { prompt = Prompt, image_urls = new[] { TestImages.DataUri(TestImages.Png()) } });

        var run = await veo.RunAsync("manifest", "run", "lost/cli.json");
        var missing = await veo.RunAsync("manifest", "run", "lost/none.json");

        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        await Poll.UntilAsync(() => pipeline.Fal.State.Submissions.Count == 1, TimeSpan.FromSeconds(30), "the manifest's one job submitted");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("lost/none.json", missing.Error, StringComparison.Ordinal);
    }
}
