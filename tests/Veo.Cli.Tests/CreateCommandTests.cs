using System.Text;
using System.Text.Json.Nodes;
using Veo.Cli.Tests.Support;

namespace Veo.Cli.Tests;

public sealed class CreateCommandTests : StandInTest
{
    [Fact]
    public async Task Create_SendsLocalImagesAsDataUris_UrlsAsGiven_AndTheOptionsAsTheModelsFields()
    {
        string png = Folder.Png();
        var run = await CliRun.RunAsync(Api, "create", "--prompt", "A fox in snow", "--image", png, "--image", "https://example.com/b.jpg",
            "--resolution", "1080p", "--aspect", "9:16", "--audio", "false", "--seed", "4294967295", "--negative", "blurry",
            "--duration", "8s", "--auto-fix", "true", "--safety", "2");

        Assert.Equal(0, run.ExitCode);
        var sent = Assert.Single(Api.To("POST", "/api/videos"));
        var body = JsonNode.Parse(sent.Body)!.AsObject();
        Assert.Equal("A fox in snow", (string?)body["prompt"]);
        string dataUri = (string)body["image_urls"]![0]!;
        Assert.StartsWith("data:image/png;base64,", dataUri, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(png), Convert.FromBase64String(dataUri["data:image/png;base64,".Length..]));
        Assert.Equal("https://example.com/b.jpg", (string?)body["image_urls"]![1]);
        Assert.Equal("1080p", (string?)body["resolution"]);
        Assert.Equal("9:16", (string?)body["aspect_ratio"]);
        Assert.False((bool)body["generate_audio"]!);
        Assert.Equal(4294967295u, (uint)body["seed"]!);
        Assert.Equal("blurry", (string?)body["negative_prompt"]);
        Assert.Equal("8s", (string?)body["duration"]);
        Assert.True((bool)body["auto_fix"]!);
        Assert.Equal("2", (string?)body["safety_tolerance"]);
        Assert.Equal(FakeVeoApi.Key, sent.FunctionKey);
        Assert.Contains("Job job-1 created.", run.Out, StringComparison.Ordinal);
        Assert.Contains("veo watch job-1", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_LeavesUnsetOptionsOut_SoTheAppsDefaultsApply()
    {
        await CliRun.RunAsync(Api, "create", "-p", "x", "-i", "https://example.com/a.png");

        var body = JsonNode.Parse(Assert.Single(Api.To("POST", "/api/videos")).Body)!.AsObject();
        Assert.Equal(["prompt", "image_urls"], body.Select(p => p.Key));
    }

    [Fact]
    public async Task Create_WithoutAKey_SendsARandomOneOfItsOwn_AndPrintsIt()
    {
        var first = await CliRun.RunAsync(Api, "create", "-p", "x", "-i", "https://example.com/a.png");
        var second = await CliRun.RunAsync(Api, "create", "-p", "x", "-i", "https://example.com/a.png");

        var keys = Api.To("POST", "/api/videos").Select(r => r.IdempotencyKey).ToArray();
        Assert.Equal(2, keys.Length);
        Assert.All(keys, k => Assert.StartsWith("veo-", k, StringComparison.Ordinal));
        Assert.NotEqual(keys[0], keys[1]);
        Assert.Contains("Idempotency-Key: " + keys[0], first.Out, StringComparison.Ordinal);
        Assert.Contains("Idempotency-Key: " + keys[1], second.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_AgainWithThePrintedKey_FindsTheFirstJob_AndSaysNothingWasBilled()
    {
        string png = Folder.Png();
        await CliRun.RunAsync(Api, "create", "-p", "x", "-i", png, "--idempotency-key", "order-7");
        var again = await CliRun.RunAsync(Api, "create", "-p", "x", "-i", png, "--idempotency-key", "order-7");

        Assert.Equal(0, again.ExitCode);
        Assert.Contains("Job job-1 already existed for this key: nothing new was started or billed.", again.Out, StringComparison.Ordinal);
        var sent = Api.To("POST", "/api/videos").ToArray();
        Assert.All(sent, r => Assert.Equal("order-7", r.IdempotencyKey));
        Assert.Equal(sent[0].Body, sent[1].Body);
    }

    [Fact]
    public async Task Create_SendsAgainWithTheSameKeyAndBytes_WhileTheAppSaysItIsStartingTheJob()
    {
        for (int i = 0; i < 2; i++)
        {
            // The draft's 409: the first request with this key is still being processed.
            Api.CreateAnswers.Enqueue(r => FakeVeoApi.Problem(r, 409, "idempotency-key-in-progress", "A request with this Idempotency-Key is still starting the job; send the same request again shortly."));
        }

        var run = await CliRun.RunAsync(Api, "create", "-p", "x", "-i", Folder.Png());

        Assert.Equal(0, run.ExitCode);
        var sent = Api.To("POST", "/api/videos").ToArray();
        Assert.Equal(3, sent.Length);
        Assert.Single(sent.Select(r => r.IdempotencyKey).Distinct());
        Assert.All(sent, r => Assert.Equal(sent[0].Body, r.Body));
        Assert.Contains("Sending again", run.Out, StringComparison.Ordinal);
        Assert.Contains("still starting the job (409)", run.Out, StringComparison.Ordinal);
        Assert.Contains("Job job-1 created.", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_SendsAgainWithTheSameKey_WhenTheConnectionFails()
    {
        using var http = new HttpClient(new FailingHandler(failures: 2)) { Timeout = Timeout.InfiniteTimeSpan };

        var run = await CliRun.RunAsync(Api, new CliOptions { Http = http }, "create", "-p", "x", "-i", "https://example.com/a.png");

        Assert.Equal(0, run.ExitCode);
        Assert.Single(Api.To("POST", "/api/videos"));
        Assert.Contains("Cannot reach the app", run.Out, StringComparison.Ordinal);
        Assert.Contains("Job job-1 created.", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(409, "idempotency-key-in-progress")] // the draft's "the first request with this key is still being processed"
    [InlineData(503, "starting")] // the same, from an app before it followed the draft
    public async Task Create_GivesUpAfterFiveAttempts_AndSaysTheSameKeyIsSafeToSendAgain(int status, string type)
    {
        for (int i = 0; i < 10; i++)
        {
            Api.CreateAnswers.Enqueue(r => FakeVeoApi.Problem(r, status, type, "Still starting."));
        }

        var run = await CliRun.RunAsync(Api, "create", "-p", "x", "-i", "https://example.com/a.png", "--idempotency-key", "k-1");

        Assert.Equal(ExitCodes.Unavailable, run.ExitCode);
        Assert.Equal(5, Api.To("POST", "/api/videos").Count());
        string error = Assert.Single(run.Error.TrimEnd().Split('\n'));
        Assert.Contains($"answered {status}: Still starting", error, StringComparison.Ordinal);
        Assert.Contains("--idempotency-key k-1 cannot start a second job", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_OverTheDailyBudget_ExitsWithItsOwnCode_SaysWhenTheBudgetRenews_AndDoesNotOfferTheSameKeyAgain()
    {
        // The start door's 402: its problem carries resetsAt, and Retry-After the seconds until then.
        Api.CreateAnswers.Enqueue(async r =>
        {
            r.Headers.RetryAfter = "12420";
            await FakeVeoApi.Problem(r, 402, "over-budget", "The daily budget of 25.00 USD for 2026-12-07 (UTC) has 1.00 USD left, and this needs an estimated 3.20 USD: nothing was started or sent to fal.", extra: new JsonObject
            {
                ["estimatedUsd"] = 3.2,
                ["budgetUsd"] = 25,
                ["remainingUsd"] = 1,
                ["day"] = "2026-12-07",
                ["resetsAt"] = "2026-12-08T00:00:00+00:00",
            });
        });

        var run = await CliRun.RunAsync(Api, "create", "-p", "x", "-i", "https://example.com/a.png", "--idempotency-key", "k-1");

        Assert.Equal(ExitCodes.OverBudget, run.ExitCode);
        Assert.Single(Api.To("POST", "/api/videos"));
        string error = Assert.Single(run.Error.TrimEnd().Split('\n'));
        Assert.Contains("Over the daily budget (402)", error, StringComparison.Ordinal);
        Assert.Contains("The budget renews at 2026-12-08 00:00 UTC (in 3h 27m)", error, StringComparison.Ordinal);
        Assert.DoesNotContain("--idempotency-key", error, StringComparison.Ordinal);
        Assert.DoesNotContain("reach", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_OverTheDailyBudget_WithOnlyRetryAfter_StillSaysWhen()
    {
        Api.CreateAnswers.Enqueue(async r =>
        {
            r.Headers.RetryAfter = "600";
            await FakeVeoApi.Problem(r, 402, "over-budget", "No room.");
        });

        var run = await CliRun.RunAsync(Api, "create", "-p", "x", "-i", "https://example.com/a.png");

        Assert.Equal(ExitCodes.OverBudget, run.ExitCode);
        Assert.Contains("The budget renews in 10m 00s", run.Error, StringComparison.Ordinal);
    }

    /// <summary>The app's own failure (500) and a conflict other than "in progress" are answers, not moments: sent once.</summary>
    [Theory]
    [InlineData(500, "internal", ExitCodes.Unavailable)]
    [InlineData(409, "conflict", ExitCodes.Rejected)]
    public async Task Create_AnAnswerThatIsNotAMoment_IsNotSentAgain(int status, string type, int exitCode)
    {
        Api.CreateAnswers.Enqueue(r => FakeVeoApi.Problem(r, status, type, "Something else."));

        var run = await CliRun.RunAsync(Api, "create", "-p", "x", "-i", "https://example.com/a.png");

        Assert.Equal(exitCode, run.ExitCode);
        Assert.Single(Api.To("POST", "/api/videos"));
    }

    [Fact]
    public async Task Create_RejectedFields_AreNamedAsTheOptionsThatSetThem()
    {
        Api.CreateAnswers.Enqueue(r => FakeVeoApi.Problem(r, 400, "invalid-request", "See errors.", new JsonObject
        {
            ["prompt"] = new JsonArray("The prompt is longer than 5000 characters."),
            ["image_urls[1]"] = new JsonArray("The image could not be downloaded (404)."),
            ["aspect_ratio"] = new JsonArray("Must be 16:9 or 9:16."),
        }));

        var run = await CliRun.RunAsync(Api, "create", "-p", "x", "-i", "https://example.com/a.png", "-i", "https://example.com/gone.png", "--aspect", "4:3");

        Assert.Equal(ExitCodes.Rejected, run.ExitCode);
        Assert.Equal(
            "veo: The app rejected the request (400): --prompt: The prompt is longer than 5000 characters; "
            + "--image https://example.com/gone.png: The image could not be downloaded (404); --aspect: Must be 16:9 or 9:16.",
            run.Error.TrimEnd());
    }

    [Fact]
    public async Task Create_KeyReusedForAnotherRequest_IsRefused_AndNotSentAgain()
    {
        await CliRun.RunAsync(Api, "create", "-p", "one", "-i", "https://example.com/a.png", "--idempotency-key", "same");
        var run = await CliRun.RunAsync(Api, "create", "-p", "two", "-i", "https://example.com/a.png", "--idempotency-key", "same");

        Assert.Equal(ExitCodes.Rejected, run.ExitCode);
        Assert.Equal(2, Api.To("POST", "/api/videos").Count());
        Assert.Contains("Refused (422): This Idempotency-Key was already used for a different request", run.Error, StringComparison.Ordinal);
    }


    [Theory]
    [InlineData("missing.png", "no such file")]
    [InlineData("empty.png", "the file is empty")]
    [InlineData("photo.gif", "not a PNG, JPEG or WebP image")]
    [InlineData("renamed.png", "not a PNG, JPEG or WebP image")]
    [InlineData("huge.png", "is more than the 8 MB an image may be")]
    public async Task Create_ChecksLocalImagesBeforeSendingAnything(string name, string expected)
    {
        File.WriteAllBytes(Folder.File("empty.png"), []);
        Folder.Write("photo.gif", "GIF89a"u8.ToArray());
        Folder.Write("renamed.png", Encoding.ASCII.GetBytes("%PDF-1.7"));
        Folder.Write("huge.png", TempFolder.PngHead, size: 8 * 1024 * 1024);

        var run = await CliRun.RunAsync(Api, new CliOptions { WorkingDirectory = Folder.Path }, "create", "-p", "x", "-i", name);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal($"veo: --image {name}: ", run.Error[..$"veo: --image {name}: ".Length]);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
        Assert.Empty(Api.Requests);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }, "image/jpeg")]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 1, 0, 0, 0, (byte)'W', (byte)'E', (byte)'B', (byte)'P' }, "image/webp")]
    public async Task Create_SendsJpegAndWebPWithTheirOwnMediaType(byte[] head, string mediaType)
    {
        string path = Folder.Write("image.bin", head);

        await CliRun.RunAsync(Api, "create", "-p", "x", "-i", path);

        var body = JsonNode.Parse(Assert.Single(Api.To("POST", "/api/videos")).Body)!;
        Assert.StartsWith($"data:{mediaType};base64,", (string)body["image_urls"]![0]!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "create", "-i", "https://example.com/a.png" }, "--prompt is required")]
    [InlineData(new[] { "create", "-p", "x" }, "--image is required")]
    [InlineData(new[] { "create", "-p", "x", "-i", "a.png", "--seed", "-1" }, "--seed -1: give a whole number from 0 to 4294967295.")]
    [InlineData(new[] { "create", "-p", "x", "-i", "a.png", "--audio", "maybe" }, "--audio maybe: give true or false.")]
    [InlineData(new[] { "create", "-p", "x", "-i", "a.png", "--interval", "0" }, "--interval 0")]
    public async Task Create_WithABadCommandLine_ExitsWith1_AndSendsNothing(string[] args, string expected)
    {
        var run = await CliRun.RunAsync(Api, args);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains(expected, run.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public async Task Create_TakesTheRepositorysSampleImages_AsRunLocalsDemoSendsThem()
    {
        string samples = Path.Combine(RepositoryRoot(), "samples");

        var run = await CliRun.RunAsync(Api, new CliOptions { WorkingDirectory = samples }, "create", "-p", "x", "-i", "meadow.png", "-i", "ball.jpg");

        Assert.Equal(0, run.ExitCode);
        var urls = JsonNode.Parse(Assert.Single(Api.To("POST", "/api/videos")).Body)!["image_urls"]!.AsArray().Select(u => (string)u!).ToArray();
        Assert.StartsWith("data:image/png;base64,", urls[0], StringComparison.Ordinal);
        Assert.StartsWith("data:image/jpeg;base64,", urls[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WithOut_FollowsTheJob_AndSavesTheVideoByteForByte()
    {
        Api.NextJobIds.Enqueue("job-out");
        Api.Job("job-out").Step("validating").Step("queued", queuePosition: 1).Step("generating").Step("archiving").Step("completed", video: true);

        var run = await CliRun.RunAsync(Api, new CliOptions { WorkingDirectory = Folder.Path }, "create", "-p", "x", "-i", Folder.Png(), "--out", "clip.mp4");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(Api.Video, File.ReadAllBytes(Folder.File("clip.mp4")));
        Assert.Contains("Completed in 20s", run.Out, StringComparison.Ordinal);
        Assert.Contains("Saved", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("veo download", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_Json_PrintsTheAppsAnswerAndTheStatuses_AndNothingElseOnStdout()
    {
        Api.NextJobIds.Enqueue("job-json");
        Api.Job("job-json").Step("queued").Step("generating").Step("completed", video: true);

        var run = await CliRun.RunAsync(Api, "create", "-p", "x", "-i", "https://example.com/a.png", "--watch", "--json");

        Assert.Equal(0, run.ExitCode);
        var lines = run.Out.TrimEnd().Split('\n').Select(l => JsonNode.Parse(l)!).ToArray();
        Assert.Equal("job-json", (string?)lines[0]["jobId"]);
        Assert.False((bool)lines[0]["replayed"]!);
        Assert.Equal(["queued", "generating", "completed"], lines.Skip(1).Select(l => (string?)l["phase"]));
        Assert.Contains("Idempotency-Key", run.Error, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(folder.FullName, "VeoFunctions.sln")))
        {
            folder = folder.Parent ?? throw new InvalidOperationException("The tests run outside the repository.");
        }

        return folder.FullName;
    }

    /// <summary>Fails the first sends as a refused connection would, then lets the rest through.</summary>
    private sealed class FailingHandler(int failures) : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        private int left = failures;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Interlocked.Decrement(ref left) >= 0
                ? throw new HttpRequestException("Connection refused (simulated)", new IOException("Connection refused"))
                : base.SendAsync(request, cancellationToken);
    }
}
