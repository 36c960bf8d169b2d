using Veo.Cli.Tests.Support;

namespace Veo.Cli.Tests;

/// <summary>veo manifest run: one request to the redrive route, plain or for failed entries.</summary>
public sealed class ManifestCommandTests : StandInTest
{
    [Fact]
    public async Task Run_AsksTheAppToRunTheManifest_StartingOnlyWhatNeverStarted()
    {
        var run = await CliRun.RunAsync(Api, "manifest", "run", "nightly/shots.json");

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}:\n{run.Out}\n{run.Error}");
        Assert.Equal("/api/manifests/run?name=nightly%2Fshots.json", Assert.Single(Api.To("POST", "/api/manifests/run")).PathAndQuery);
        Assert.Equal("Manifest nightly/shots.json run: entries not started before are starting. Its result file is beside it.", run.Out.TrimEnd());
    }

    [Fact]
    public async Task Run_Failed_AlsoAsksForANewAttemptOfEachFailedEntry()
    {
        var run = await CliRun.RunAsync(Api, "manifest", "run", "nightly/shots.json", "--failed");

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}:\n{run.Out}\n{run.Error}");
        Assert.Equal("/api/manifests/run?name=nightly%2Fshots.json&failed=true", Assert.Single(Api.To("POST", "/api/manifests/run")).PathAndQuery);
        Assert.Contains("a new attempt of each failed or cancelled one", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Failed_SaysWhichFailedEntriesTheAppDidNotStartAgain_AndHowToResumeThem()
    {
        var run = await CliRun.RunAsync(Api, "manifest", "run", "nightly/shots.json", "--failed");

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}:\n{run.Out}\n{run.Error}");
        Assert.Contains("Entry shot-3 not started again: fal made the video of its job m0000000000000000000000000000abc; archive it with: veo resume m0000000000000000000000000000abc", run.Out, StringComparison.Ordinal);
    }
}
