using System.Text.Json.Nodes;
using Veo.Cli.Tests.Support;

namespace Veo.Cli.Tests;

/// <summary>status, list, cancel and resume: one request each, the answer shown or printed as JSON.</summary>
public sealed class JobCommandTests : StandInTest
{
    [Fact]
    public async Task Status_ShowsTheJobPanel()
    {
        Api.Job("job-1").Step("queued", queuePosition: 4, logs: ["In queue"]);

        var run = await CliRun.RunAsync(Api, "status", "job-1");

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"│ job\s+job-1", run.Out);
        Assert.Contains("queued · position 4 in fal's queue", run.Out, StringComparison.Ordinal);
        Assert.Matches(@"queued\s+0:00\s+1m 30s …", run.Out);
        Assert.Contains("In queue", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_Json_PrintsTheAppsDocumentUnchanged()
    {
        var job = Api.Job("job-1").Step("generating", logs: ["a"]);

        var run = await CliRun.RunAsync(Api, "status", "job-1", "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(job.Peek().ToJsonString(), run.Out.TrimEnd());
    }

    [Fact]
    public async Task List_ShowsOneRowPerJob_NewestFirst_AndPointsToTheNextPage()
    {
        Api.Job("job-new").Step("failed", error: "fal refused the prompt.");
        Api.Job("job-old").Step("validating").Step("completed", after: TimeSpan.FromSeconds(95), video: true);
        Api.Job("job-old").Next();
        Api.Job("job-old").Next();
        Api.Pages[""] = (["job-new", "job-old"], "page-2");

        var run = await CliRun.RunAsync(Api, "list");

        Assert.Equal(0, run.ExitCode);
        string[] rows = run.Out.Split('\n').Where(l => l.Contains("job-", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.Matches(@"job-new\s+│\s+failed\s+│\s+2026-11-24 12:00:00\s+│\s+0\.0s\s+│\s+fal refused the prompt\.", rows[0]);
        Assert.Contains("More: veo list --all, or --continuation-token page-2", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_All_FollowsEveryPage_AndPassesPhaseAndTop()
    {
        foreach (string id in new[] { "a", "b", "c" })
        {
            Api.Job(id).Step("failed", error: "no");
        }

        Api.Pages[""] = (["a", "b"], "t2");
        Api.Pages["t2"] = (["c"], null);

        var run = await CliRun.RunAsync(Api, "list", "--all", "--phase", "failed", "--top", "2", "--json");

        Assert.Equal(0, run.ExitCode);
        var all = JsonNode.Parse(run.Out)!;
        Assert.Equal(["a", "b", "c"], all["jobs"]!.AsArray().Select(j => (string?)j!["jobId"]));
        Assert.Null(all["continuationToken"]);
        Assert.Equal(
            ["/api/videos?top=2&phase=failed", "/api/videos?top=2&phase=failed&continuationToken=t2"],
            Api.To("GET", "/api/videos?").Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task List_Empty_SaysSo()
    {
        Api.Pages[""] = ([], null);

        var run = await CliRun.RunAsync(Api, "list", "--phase", "queued");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("No queued jobs.", run.Out.TrimEnd());
    }

    [Theory]
    [InlineData("--phase", "done", "--phase done: not a phase; one of validating, uploading")]
    [InlineData("--top", "0", "--top 0: give a whole number from 1 to 200.")]
    [InlineData("--top", "many", "--top many: give a whole number from 1 to 200.")]
    public async Task List_WithABadOption_ExitsWith1_AndAsksNothing(string option, string value, string expected)
    {
        var run = await CliRun.RunAsync(Api, "list", option, value);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
        Assert.Empty(Api.Requests);
    }

    [Theory]
    [InlineData("cancel", "Cancel requested for job job-1. What it achieved: veo watch job-1")]
    [InlineData("resume", "Resume requested for job job-1. Follow it: veo watch job-1")]
    public async Task CancelAndResume_AskTheApp_AndSayWhereToFollowTheJob(string command, string expected)
    {
        Api.Job("job-1").Step("archiving", lastError: "The archive stalled.");

        var run = await CliRun.RunAsync(Api, command, "job-1");

        Assert.Equal(0, run.ExitCode);
        Assert.Single(Api.To("POST", $"/api/videos/job-1/{command}"));
        Assert.Equal(expected, run.Out.TrimEnd());
    }

    [Theory]
    [InlineData("cancel")]
    [InlineData("resume")]
    public async Task CancelAndResume_OfAnEndedJob_ExitWith4_WithTheAppsReason(string command)
    {
        Api.Job("job-1").Step("completed", video: true);
        Api.ControlAnswer = System.Net.HttpStatusCode.Conflict;

        var run = await CliRun.RunAsync(Api, command, "job-1");

        Assert.Equal(ExitCodes.Rejected, run.ExitCode);
        Assert.Equal("veo: Conflict (409): The job has already ended.", run.Error.TrimEnd());
    }

    [Fact]
    public async Task Cancel_Json_PrintsTheAppsAnswer()
    {
        Api.Job("job-1").Step("queued");

        var run = await CliRun.RunAsync(Api, "cancel", "job-1", "--json");

        Assert.True((bool)JsonNode.Parse(run.Out)!["cancelRequested"]!);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("cancel")]
    [InlineData("resume")]
    [InlineData("download")]
    public async Task UnknownJob_ExitsWith5_NamingIt(string command)
    {
        var run = await CliRun.RunAsync(Api, command, "ghost");

        Assert.Equal(ExitCodes.NotFound, run.ExitCode);
        Assert.Equal("veo: Job ghost not found (404): No job has that id.", run.Error.TrimEnd());
    }
}
