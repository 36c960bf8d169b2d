using System.Text.Json.Nodes;
using Spectre.Console.Testing;
using Veo.Cli.Tests.Support;

namespace Veo.Cli.Tests;

public sealed class WatchCommandTests : StandInTest
{
    private JobScript TypicalJob(string id = "job-w") => Api.Job(id)
        .Step("validating")
        .Step("uploading", after: TimeSpan.FromSeconds(1))
        .Step("submitting", after: TimeSpan.FromSeconds(2))
        .Step("queued", after: TimeSpan.FromSeconds(1), queuePosition: 2)
        .Step("queued", after: TimeSpan.FromSeconds(5), queuePosition: 1)
        .Step("generating", after: TimeSpan.FromSeconds(5), logs: ["Starting Veo 3.1"])
        .Step("generating", after: TimeSpan.FromSeconds(20), logs: ["Starting Veo 3.1", "Rendering frames"], lastError: "fal's status API did not answer; asking again.")
        .Step("archiving", after: TimeSpan.FromSeconds(50), logs: ["Starting Veo 3.1", "Rendering frames"])
        .Step("completed", after: TimeSpan.FromSeconds(3), logs: ["Starting Veo 3.1", "Rendering frames"], video: true);

    [Fact]
    public async Task Watch_FollowsAJobToItsEnd_AndPrintsEachChangeOnce_WhenOutputIsNotATerminal()
    {
        TypicalJob();

        var run = await CliRun.RunAsync(Api, "watch", "job-w");

        Assert.Equal(0, run.ExitCode);
        string[] lines = run.Out.Split('\n').Select(l => l.TrimEnd()).ToArray();
        Assert.Equal(
            [
                "  0:00 validating",
                "  0:01 uploading",
                "  0:03 submitting",
                "  0:04 queued · position 2 in fal's queue",
                "  0:09 queued · position 1 in fal's queue",
                "  0:14 generating",
                "       fal: Starting Veo 3.1",
                "       fal: Rendering frames",
                "       trouble: fal's status API did not answer; asking again.",
                "  1:24 archiving",
                "  1:27 completed",
            ],
            lines.TakeWhile(l => !l.StartsWith('╭')).Where(l => l.Length > 0));
        Assert.Contains(lines, l => l.Contains("Completed in 1m 27s: 195.3 KB at videos/2026/11/24/job-w.mp4.", StringComparison.Ordinal));
        Assert.Contains("Download it: veo download job-w", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_EndsWithTheJobPanel_ShowingTheTimeOfEveryPhase()
    {
        TypicalJob();

        var run = await CliRun.RunAsync(Api, "watch", "job-w");

        string panel = string.Join('\n', run.Out.Split('\n').SkipWhile(l => !l.StartsWith('╭')).TakeWhile(l => !l.StartsWith("Completed", StringComparison.Ordinal)));
        Assert.Matches(@"│ job\s+job-w", panel);
        Assert.Matches(@"phase\s+completed", panel);
        Assert.Matches(@"fal request\s+fal-req-job-w", panel);
        Assert.Matches(@"elapsed\s+1m 27s", panel);
        Assert.Matches(@"video\s+videos/2026/11/24/job-w\.mp4 \(195\.3 KB\)", panel);
        Assert.Matches(@"queued\s+0:04\s+10s", panel);
        Assert.Matches(@"generating\s+0:14\s+1m 10s", panel);
        Assert.Matches(@"archiving\s+1:24\s+3\.0s", panel);
        Assert.Contains("Rendering frames", panel, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_OnATerminal_RedrawsOneLiveDisplay_AndEndsWithTheOutcome()
    {
        TypicalJob();
        var console = new TestConsole().Width(100).Interactive().EmitAnsiSequences();

        var run = await CliRun.RunAsync(Api, new CliOptions { Console = console }, "watch", "job-w");

        Assert.Equal(0, run.ExitCode);
        string screen = Ansi.Strip(run.Out);
        Assert.Contains("\x1b[", run.Out, StringComparison.Ordinal);
        Assert.Contains("queued · position 2 in fal's queue", screen, StringComparison.Ordinal);
        Assert.Contains("trouble: fal's status API did not answer; asking again.", screen, StringComparison.Ordinal);
        Assert.Contains("Rendering frames", screen, StringComparison.Ordinal);
        Assert.Matches(@"generating\s+0:14\s+1m 10s", screen);
        Assert.DoesNotContain("  0:00 validating", screen, StringComparison.Ordinal);
        Assert.EndsWith("Download it: veo download job-w", screen.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_FailedJob_ExitsWith2_AndSaysWhy()
    {
        Api.Job("job-f").Step("queued").Step("generating").Step("failed", error: "fal refused the request: the prompt was flagged by the content checker.");

        var run = await CliRun.RunAsync(Api, "watch", "job-f");

        Assert.Equal(ExitCodes.JobFailed, run.ExitCode);
        Assert.Contains("Failed after 10s: fal refused the request: the prompt was flagged by the content checker.", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("veo download", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_CancelledJob_ExitsWith3_AndShowsWhatTheCancelAchieved()
    {
        Api.Job("job-c").Step("queued").Step("cancelled", error: "Cancelled on request.", note: "Cancelled at fal before it started: nothing was billed.");

        var run = await CliRun.RunAsync(Api, "watch", "job-c");

        Assert.Equal(ExitCodes.JobCancelled, run.ExitCode);
        Assert.Contains("Cancelled after 5.0s: Cancelled on request.", run.Out, StringComparison.Ordinal);
        Assert.Contains("note: Cancelled at fal before it started: nothing was billed.", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_CancelledJobWhoseVideoFalFinishedAnyway_SavesIt_AndStillExitsWith3()
    {
        Api.Job("job-s").Step("generating").Step("cancelled", error: "Cancelled on request.", note: "fal had already finished: the video was paid for and archived.", video: true);

        var run = await CliRun.RunAsync(Api, new CliOptions { WorkingDirectory = Folder.Path }, "watch", "job-s", "--out", "kept.mp4");

        Assert.Equal(ExitCodes.JobCancelled, run.ExitCode);
        Assert.Contains("fal delivered the video anyway and it was archived", run.Out, StringComparison.Ordinal);
        Assert.Equal(Api.Video, File.ReadAllBytes(Folder.File("kept.mp4")));
    }

    [Fact]
    public async Task Watch_WaitsOutAnAppThatStopsAnsweringForAWhile()
    {
        var job = Api.Job("job-o").Step("generating").Step("completed", video: true);
        Api.OnStatus = (_, served) =>
        {
            if (served == 1)
            {
                Api.StatusAnswers.Enqueue(r => FakeVeoApi.Problem(r, 503, "unavailable", "The host is restarting."));
                Api.StatusAnswers.Enqueue(r => FakeVeoApi.Problem(r, 502, "gateway", "Bad gateway."));
            }
        };

        var run = await CliRun.RunAsync(Api, "watch", "job-o");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("not answering: The app at", run.Out, StringComparison.Ordinal);
        Assert.Contains("answered 503: The host is restarting.", run.Out, StringComparison.Ordinal);
        Assert.Contains("answered 502: Bad gateway.", run.Out, StringComparison.Ordinal);
        Assert.Equal(2, job.Served);
    }

    [Fact]
    public async Task Watch_GivesUp_WhenTheAppStaysDown()
    {
        Api.Job("job-d").Step("generating");
        Api.OnStatus = (_, _) =>
        {
            for (int i = 0; i < 10; i++)
            {
                Api.StatusAnswers.Enqueue(r => FakeVeoApi.Problem(r, 503, "unavailable", "Down."));
            }
        };

        var run = await CliRun.RunAsync(Api, new CliOptions { MaxPollFailures = 3 }, "watch", "job-d");

        Assert.Equal(ExitCodes.Unavailable, run.ExitCode);
        Assert.Equal("veo: The app at " + Api.AppUrl.GetLeftPart(UriPartial.Authority) + " answered 503: Down.", run.Error.TrimEnd());
    }

    [Fact]
    public async Task Watch_UnknownJob_ExitsWith5_AtOnce()
    {
        var run = await CliRun.RunAsync(Api, "watch", "nope");

        Assert.Equal(ExitCodes.NotFound, run.ExitCode);
        Assert.Equal("veo: Job nope not found (404): No job has that id.", run.Error.TrimEnd());
        Assert.Single(Api.To("GET", "/api/videos/nope"));
    }

    [Fact]
    public async Task Watch_StoppedWithCtrlC_SaysTheJobGoesOn_AndExitsWith130()
    {
        Api.Job("job-i").Step("queued").Step("generating");
        using var interrupt = new CancellationTokenSource();
        Api.OnStatus = (_, served) =>
        {
            if (served == 3)
            {
                interrupt.Cancel();
            }
        };

        var run = await CliRun.RunAsync(Api, new CliOptions { Cancellation = interrupt.Token }, "watch", "job-i");

        Assert.Equal(ExitCodes.Interrupted, run.ExitCode);
        Assert.Contains("Stopped watching; job job-i goes on. Watch it again: veo watch job-i", run.Out, StringComparison.Ordinal);
        Assert.Empty(Api.To("POST", "/api/videos/job-i/cancel"));
    }

    [Fact]
    public async Task Watch_Json_PrintsEachNewStatusOnce_AsTheAppSentIt()
    {
        TypicalJob();

        var run = await CliRun.RunAsync(Api, "watch", "job-w", "--json");

        Assert.Equal(0, run.ExitCode);
        var statuses = run.Out.TrimEnd().Split('\n').Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
        Assert.Equal(9, statuses.Length);
        Assert.Equal("completed", (string?)statuses[^1]["phase"]);
        Assert.Equal(10, statuses[^1]["timeline"]!.AsArray().Count + 3);
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task Watch_AsksAtTheGivenInterval()
    {
        Api.Job("job-t").Step("queued").Step("completed", video: true);

        var run = await CliRun.RunAsync(Api, "watch", "job-t", "--interval", "0.01");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(2, Api.To("GET", "/api/videos/job-t").Count());
    }
}
