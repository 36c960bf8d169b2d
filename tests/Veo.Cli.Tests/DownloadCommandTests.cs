using System.Text.Json.Nodes;
using Veo.Cli.Tests.Support;

namespace Veo.Cli.Tests;

public sealed class DownloadCommandTests : StandInTest
{
    private CliOptions InFolder => new() { WorkingDirectory = Folder.Path };

    [Fact]
    public async Task Download_SavesTheVideoByteForByte_FromTheDownloadUrl_WithoutSendingTheKeyThere()
    {
        Api.Job("job-1").Step("completed", video: true);

        var run = await CliRun.RunAsync(Api, InFolder, "download", "job-1", "--out", "clip.mp4");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(Api.Video, File.ReadAllBytes(Folder.File("clip.mp4")));
        var blob = Assert.Single(Requests(Api.BlobUrl.Port));
        Assert.Null(blob.FunctionKey);
        Assert.Contains("sig=fresh", blob.PathAndQuery, StringComparison.Ordinal);
        Assert.Empty(Api.To("GET", "/api/videos/job-1/video"));
        Assert.Contains($", {Api.Video.Length} bytes as archived).", run.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(Folder.File("clip.mp4.part")));
    }

    [Fact]
    public async Task Download_WithoutALink_FollowsTheVideoRedirect_AndKeepsTheKeyOnTheApp()
    {
        Api.Job("job-1").Link = LinkMode.None;
        Api.Job("job-1").Step("completed", video: true);

        var run = await CliRun.RunAsync(Api, InFolder, "download", "job-1");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(Api.Video, File.ReadAllBytes(Folder.File("job-1.mp4")));
        Assert.Equal(FakeVeoApi.Key, Assert.Single(Api.To("GET", "/api/videos/job-1/video")).FunctionKey);
        Assert.Null(Assert.Single(Requests(Api.BlobUrl.Port)).FunctionKey);
    }

    [Fact]
    public async Task Download_WithAnExpiredLink_AsksTheAppForAFreshOne()
    {
        Api.Job("job-1").Link = LinkMode.Expired;
        Api.Job("job-1").Step("completed", video: true);

        var run = await CliRun.RunAsync(Api, InFolder, "download", "job-1");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(Api.Video, File.ReadAllBytes(Folder.File("job-1.mp4")));
        Assert.Equal(["expired", "fresh"], Requests(Api.BlobUrl.Port).Select(r => r.PathAndQuery.Split("sig=")[1]));
    }

    [Fact]
    public async Task Download_ThatComesUpShort_SavesNothing_AndExitsWith7()
    {
        var job = Api.Job("job-1");
        job.ReportedBytes = Api.Video.Length + 1;
        job.Step("completed", video: true);
        File.WriteAllBytes(Folder.File("clip.mp4"), [1, 2, 3]);

        var run = await CliRun.RunAsync(Api, InFolder, "download", "job-1", "-o", "clip.mp4");

        Assert.Equal(ExitCodes.Unavailable, run.ExitCode);
        Assert.Equal($"veo: Received {Api.Video.Length} bytes but the app archived {Api.Video.Length + 1}; nothing was saved. Try again: veo download job-1", run.Error.TrimEnd());
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Folder.File("clip.mp4")));
        Assert.False(File.Exists(Folder.File("clip.mp4.part")));
    }

    [Fact]
    public async Task Download_BeforeTheVideoExists_ExitsWith4_AndSaysToWatch()
    {
        Api.Job("job-1").Step("generating");

        var run = await CliRun.RunAsync(Api, InFolder, "download", "job-1");

        Assert.Equal(ExitCodes.Rejected, run.ExitCode);
        Assert.Equal("veo: Job job-1 has no video: it is still generating; watch it with: veo watch job-1.", run.Error.TrimEnd());
        Assert.Empty(Directory.GetFiles(Folder.Path));
    }

    [Fact]
    public async Task Download_OfAFailedJob_SaysWhyThereIsNoVideo()
    {
        Api.Job("job-1").Step("failed", error: "fal refused the prompt.");

        var run = await CliRun.RunAsync(Api, InFolder, "download", "job-1");

        Assert.Equal(ExitCodes.Rejected, run.ExitCode);
        Assert.Equal("veo: Job job-1 has no video: it ended failed: fal refused the prompt.", run.Error.TrimEnd());
    }

    [Fact]
    public async Task Download_IntoAMissingFolder_ExitsWith1()
    {
        Api.Job("job-1").Step("completed", video: true);

        var run = await CliRun.RunAsync(Api, InFolder, "download", "job-1", "--out", "no/such/clip.mp4");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("the folder does not exist", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Download_Json_SaysWhereAndHowMuch()
    {
        Api.Job("job-1").Step("completed", video: true);

        var run = await CliRun.RunAsync(Api, InFolder, "download", "job-1", "--json");

        var saved = JsonNode.Parse(run.Out)!;
        Assert.Equal(Folder.File("job-1.mp4"), (string?)saved["file"]);
        Assert.Equal(Api.Video.Length, (long)saved["bytes"]!);
        Assert.Contains("Saved", run.Error, StringComparison.Ordinal);
    }

    private IEnumerable<SeenRequest> Requests(int port) => Api.Requests.Where(r => r.Port == port);
}
