using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Functions;
using VeoFunctions.Http;
using VeoFunctions.Jobs;
using VeoFunctions.Money;
using VeoFunctions.Storage;
using VeoFunctions.Testing;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Functions;

public sealed class StartVideoJobTests
{
    private readonly FakeBlobStorage _storage = new();
    private readonly FakeDurableClient _durable = new();
    private readonly JobOptions _jobs = TestBodies.Jobs();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2025-06-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private StartVideoJob Function()
    {
        var containers = _storage.Containers();
        var spending = TestMoney.Spending(_storage, _time);
        var scheduler = new JobScheduler(new ImageStaging(containers), new JobClaims(containers, _time), new JobIndex(containers), Options.Create(_jobs), _time, spending);
        return new StartVideoJob(TestBodies.Parser(_jobs), scheduler, Options.Create(_jobs), spending);
    }

    private Task<IActionResult> PostAsync(HttpRequest request) => Function().RunAsync(request, _durable.Object, CancellationToken.None);

    private Task<IActionResult> PostAsync(JsonNode body, string? idempotencyKey = null) =>
        PostAsync(TestRequests.Post(TestBodies.Bytes(body), headers: idempotencyKey is null ? null : new Dictionary<string, string> { [StartVideoJob.IdempotencyKeyHeader] = idempotencyKey }));

    private static string JobIdOf(IActionResult result) => TestRequests.BodyOf(result).GetProperty("jobId").GetString()!;

    private static void AssertProblem(IActionResult result, int status)
    {
        var problem = Assert.IsAssignableFrom<ObjectResult>(result);
        Assert.Equal(status, problem.StatusCode);
        Assert.Contains("application/problem+json", problem.ContentTypes);
        var details = Assert.IsAssignableFrom<ProblemDetails>(problem.Value);
        Assert.Equal(status, details.Status);
    }

    [Fact]
    public async Task AValidRequest_Is202WithTheStatusUrlAndTheJobId()
    {
        var result = await PostAsync(TestBodies.Valid());

        var accepted = Assert.IsType<AcceptedResult>(result);
        Assert.Equal(StatusCodes.Status202Accepted, accepted.StatusCode);
        string jobId = JobIdOf(result);
        Assert.True(JobIds.IsWellFormed(jobId));
        Assert.Equal($"https://app.example/api/videos/{jobId}", accepted.Location);
        var body = TestRequests.BodyOf(result);
        Assert.Equal(accepted.Location, body.GetProperty("statusUrl").GetString());
        Assert.False(body.GetProperty("replayed").GetBoolean());
    }

    [Fact]
    public async Task AValidRequest_SchedulesOneVideoJobOrchestratorUnderTheJobId()
    {
        var result = await PostAsync(TestBodies.Valid());

        _durable.VerifyScheduled(1);
        var scheduled = Assert.Single(_durable.Scheduled);
        Assert.Equal(nameof(VideoJobOrchestrator), scheduled.Name);
        Assert.Equal(JobIdOf(result), scheduled.InstanceId);
    }

    [Fact]
    public async Task TheScheduledInput_CarriesTheRequestTheImageReferenceAndTheWebhookUrl()
    {
        var body = TestBodies.Valid();
        body["resolution"] = "4k";
        body["seed"] = 7;

        var result = await PostAsync(body);

        string jobId = JobIdOf(result);
        var input = Assert.IsType<VideoJobInput>(Assert.Single(_durable.Scheduled).Input);
        Assert.Equal(jobId, input.JobId);
        Assert.Matches($"^https://app\\.example/api/fal/webhook\\?job={jobId}&token=[0-9a-f]{{32}}$", input.WebhookUrl.AbsoluteUri);
        Assert.Equal("4k", input.Request.Resolution);
        Assert.Equal(7, input.Request.Seed);
        var image = Assert.Single(input.Images);
        Assert.Equal(new ImageSource(0, TestBodies.ImageUrl, null), image);
        Assert.Equal(JobScheduler.Fingerprint(TestBodies.Bytes(body)), input.RequestFingerprint);
        Assert.Equal(new JobTiming(_jobs.FirstStatusCheck, _jobs.MaxStatusCheckInterval, _jobs.Deadline, _jobs.FirstRetryInterval, _jobs.MaxActivityAttempts,
            _jobs.CancelGrace, _jobs.MaxGenerationTime, _jobs.ArchiveHorizon, _jobs.MaxArchiveRetryInterval,
            _jobs.CallbackFirstRetryInterval, _jobs.CallbackAttempts, new MoneyOptions().BillingFirstRecheck, new MoneyOptions().BillingHorizon, _jobs.VideoNotFoundRounds), input.Timing);
    }

    [Fact]
    public async Task AWebhookUrl_IsBuiltWithoutADoubleSlash_WhenThePublicBaseUrlEndsWithOne()
    {
        _jobs.PublicBaseUrl = new Uri("https://app.example/");

        var result = await PostAsync(TestBodies.Valid());

        var input = Assert.IsType<VideoJobInput>(Assert.Single(_durable.Scheduled).Input);
        Assert.StartsWith($"https://app.example/api/fal/webhook?job={JobIdOf(result)}&token=", input.WebhookUrl.AbsoluteUri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADataUriImage_IsStagedInTheWorkContainer_AndOnlyItsReferenceIsScheduled()
    {
        var body = TestBodies.Valid();
        string dataUri = TestBodies.PngDataUri(5, 2);
        body["image_urls"] = new JsonArray(TestBodies.ImageUrl, dataUri);

        var result = await PostAsync(body);

        string jobId = JobIdOf(result);
        var input = Assert.IsType<VideoJobInput>(Assert.Single(_durable.Scheduled).Input);
        Assert.Equal(new ImageSource(0, TestBodies.ImageUrl, null), input.Images[0]);
        var staged = input.Images[1].Staged;
        Assert.NotNull(staged);
        Assert.Null(input.Images[1].Url);
        Assert.Equal($"staged/{jobId}/images/1.png", staged.BlobName);
        Assert.Equal(("image/png", 5, 2), (staged.ContentType, staged.Width, staged.Height));
        Assert.Equal(Convert.FromBase64String(dataUri[(dataUri.IndexOf(',', StringComparison.Ordinal) + 1)..]), _storage.Blobs[$"veo-work/{staged.BlobName}"].ToArray());

        // References only: the serialized durable input holds no image bytes.
        string serialized = FakeDurableClient.Converter.Serialize(input)!;
        Assert.DoesNotContain("base64", serialized, StringComparison.Ordinal);
        Assert.DoesNotContain(dataUri[22..60], serialized, StringComparison.Ordinal);
        Assert.True(serialized.Length < 2048, $"The durable input is {serialized.Length} characters.");
    }

    [Fact]
    public async Task InvalidInput_Is400ValidationProblemKeyedByField_AndStartsNothing()
    {
        var body = TestBodies.Valid();
        body["aspect_ratio"] = "4:3";
        body["image_urls"] = new JsonArray(TestBodies.ImageUrl, "http://example.com/b.png");

        var result = await PostAsync(body);

        AssertProblem(result, StatusCodes.Status400BadRequest);
        var problem = Assert.IsType<ValidationProblemDetails>(((ObjectResult)result).Value);
        Assert.Equal(["aspect_ratio", "image_urls[1]"], problem.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("https://veofunctions.dev/problems/invalid-request", problem.Type);
        var json = TestRequests.BodyOf(result);
        Assert.Equal(JsonValueKind.Array, json.GetProperty("errors").GetProperty("aspect_ratio").ValueKind);
        _durable.VerifyScheduled(0);
        Assert.Equal(0, _storage.Uploads);
    }

    [Fact]
    public async Task MalformedJson_Is400AndStartsNothing()
    {
        var result = await PostAsync(TestRequests.Post("{\"prompt\": "));

        AssertProblem(result, StatusCodes.Status400BadRequest);
        Assert.True(((ValidationProblemDetails)((ObjectResult)result).Value!).Errors.ContainsKey("body"));
        _durable.VerifyScheduled(0);
    }

    [Fact]
    public async Task ABodyOf300000UnknownFields_Is400OfAFewKilobytes_Listing50AndCountingTheRest()
    {
        var body = TestBodies.Valid();
        for (int i = 0; i < 300_000; i++)
        {
            body[$"f{i}"] = 1;
        }

        var result = await PostAsync(TestRequests.Post(TestBodies.Bytes(body)));

        AssertProblem(result, StatusCodes.Status400BadRequest);
        var problem = (ValidationProblemDetails)((ObjectResult)result).Value!;
        Assert.Equal(50, problem.Errors.Sum(e => e.Value.Length));
        Assert.Equal(299_950, problem.Extensions["unlistedErrors"]);
        Assert.Contains("299950 more problem(s) not listed", problem.Detail, StringComparison.Ordinal);
        Assert.InRange(TestRequests.BodyTextOf(result).Length, 1, 16 * 1024);
        _durable.VerifyScheduled(0);
    }

    [Fact]
    public async Task AnEmptyBody_Is400AndStartsNothing()
    {
        var result = await PostAsync(TestRequests.Post([]));

        AssertProblem(result, StatusCodes.Status400BadRequest);
        _durable.VerifyScheduled(0);
    }

    [Fact]
    public async Task ABodyOverTheLimit_WithAnHonestContentLength_Is413AndStartsNothing()
    {
        _jobs.MaxRequestBytes = 2048;
        var body = TestBodies.Valid();
        body["prompt"] = new string('a', 3000);

        var result = await PostAsync(body);

        AssertProblem(result, StatusCodes.Status413PayloadTooLarge);
        _durable.VerifyScheduled(0);
    }

    [Fact]
    public async Task ABodyOverTheLimit_SentChunkedWithoutContentLength_Is413()
    {
        _jobs.MaxRequestBytes = 2048;
        var body = TestBodies.Valid();
        body["prompt"] = new string('a', 3000);
        var request = TestRequests.Post(TestBodies.Bytes(body), chunked: true);
        Assert.Null(request.ContentLength);

        var result = await PostAsync(request);

        AssertProblem(result, StatusCodes.Status413PayloadTooLarge);
        _durable.VerifyScheduled(0);
    }

    [Fact]
    public async Task ABodyOverTheLimit_ThatUnderstatesItsContentLength_Is413()
    {
        _jobs.MaxRequestBytes = 2048;
        var request = TestRequests.Post(new byte[5000]);
        request.ContentLength = 100;

        var result = await PostAsync(request);

        AssertProblem(result, StatusCodes.Status413PayloadTooLarge);
    }

    [Fact]
    public async Task ABodyOfExactlyTheLimit_IsRead()
    {
        _jobs.MaxRequestBytes = 1024;
        var body = TestBodies.Valid();
        string padded = body.ToJsonString();
        body["prompt"] = body["prompt"]!.GetValue<string>() + new string(' ', 1024 - padded.Length);
        byte[] bytes = TestBodies.Bytes(body);
        Assert.Equal(1024, bytes.Length);

        var result = await PostAsync(TestRequests.Post(bytes, chunked: true));

        Assert.IsType<AcceptedResult>(result);
    }

    [Fact]
    public async Task AValidBodySentChunked_Is202()
    {
        var result = await PostAsync(TestRequests.Post(TestBodies.Bytes(TestBodies.Valid()), chunked: true));

        Assert.IsType<AcceptedResult>(result);
        _durable.VerifyScheduled(1);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/xml")]
    public async Task ANonJsonContentType_Is415AndStartsNothing(string contentType)
    {
        var result = await PostAsync(TestRequests.Post(TestBodies.Bytes(TestBodies.Valid()), contentType));

        AssertProblem(result, StatusCodes.Status415UnsupportedMediaType);
        _durable.VerifyScheduled(0);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON")]
    [InlineData(null)]
    public async Task AJsonOrMissingContentType_IsAccepted(string? contentType)
    {
        var result = await PostAsync(TestRequests.Post(TestBodies.Bytes(TestBodies.Valid()), contentType));

        Assert.IsType<AcceptedResult>(result);
    }

    [Fact]
    public async Task WithoutAnIdempotencyKey_EachRequestStartsItsOwnJob()
    {
        var first = JobIdOf(await PostAsync(TestBodies.Valid()));
        var second = JobIdOf(await PostAsync(TestBodies.Valid()));

        Assert.NotEqual(first, second);
        _durable.VerifyScheduled(2);
    }

    [Fact]
    public async Task AnIdempotencyKey_MapsToAStableWellFormedJobId()
    {
        var result = await PostAsync(TestBodies.Valid(), "order-1234");

        Assert.Equal(JobScheduler.JobIdFor("order-1234"), JobIdOf(result));
        Assert.Equal(JobScheduler.JobIdFor("order-1234"), JobScheduler.JobIdFor("order-1234"));
        Assert.NotEqual(JobScheduler.JobIdFor("order-1234"), JobScheduler.JobIdFor("order-1235"));
        Assert.True(JobIds.IsWellFormed(JobScheduler.JobIdFor("order-1234")));
        Assert.Equal("https://app.example/api/videos/" + JobScheduler.JobIdFor("order-1234"), ((AcceptedResult)result).Location);
    }

    [Fact]
    public async Task TheSameKeyAndBodyAgain_Is202WithTheSameJob_AndSchedulesNothingNew()
    {
        var first = await PostAsync(TestBodies.Valid(), "order-1234");
        var second = await PostAsync(TestBodies.Valid(), "order-1234");

        Assert.IsType<AcceptedResult>(second);
        Assert.Equal(JobIdOf(first), JobIdOf(second));
        Assert.True(TestRequests.BodyOf(second).GetProperty("replayed").GetBoolean());
        _durable.VerifyScheduled(1);
    }

    [Fact]
    public async Task TheSameKeyWithADifferentBody_Is422KeyReused_AndSchedulesNothingNew()
    {
        await PostAsync(TestBodies.Valid(), "order-1234");
        var other = TestBodies.Valid();
        other["prompt"] = "A different video.";

        var result = await PostAsync(other, "order-1234");

        // draft-ietf-httpapi-idempotency-key-header: a key reused with another payload is 422, not 409.
        AssertProblem(result, StatusCodes.Status422UnprocessableEntity);
        Assert.Equal(Problems.IdempotencyKeyReusedType, ((ProblemDetails)((ObjectResult)result).Value!).Type);
        _durable.VerifyScheduled(1);
    }

    [Fact]
    public async Task TheSameKeyAndBody_AfterTheJobFinished_StillReplaysIt()
    {
        var first = await PostAsync(TestBodies.Valid(), "order-1234");
        string jobId = JobIdOf(first);
        var existing = _durable.Instances[jobId];
        _durable.Instances[jobId] = new Microsoft.DurableTask.Client.OrchestrationMetadata(existing.Name, jobId)
        {
            RuntimeStatus = Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Completed,
            SerializedInput = existing.SerializedInput,
            DataConverter = FakeDurableClient.Converter,
        };

        var again = await PostAsync(TestBodies.Valid(), "order-1234");

        Assert.Equal(jobId, JobIdOf(again));
        _durable.VerifyScheduled(1);
    }

    [Fact]
    public async Task AnIdempotencyKeyUsedForAnInvalidRequest_StartsNothingAndLeavesTheKeyFree()
    {
        var bad = TestBodies.Valid();
        bad["seed"] = -5;

        AssertProblem(await PostAsync(bad, "order-1234"), StatusCodes.Status400BadRequest);
        var good = await PostAsync(TestBodies.Valid(), "order-1234");

        Assert.IsType<AcceptedResult>(good);
        _durable.VerifyScheduled(1);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tab\there")]
    [InlineData("new\nline")]
    public async Task AnIllFormedIdempotencyKey_Is400AndStartsNothing(string key)
    {
        var result = await PostAsync(TestBodies.Valid(), key);

        AssertProblem(result, StatusCodes.Status400BadRequest);
        _durable.VerifyScheduled(0);
    }

    [Fact]
    public async Task AnIdempotencyKeyOf256Characters_Is400_And255IsAccepted()
    {
        AssertProblem(await PostAsync(TestBodies.Valid(), new string('k', 256)), StatusCodes.Status400BadRequest);
        Assert.IsType<AcceptedResult>(await PostAsync(TestBodies.Valid(), new string('k', 255)));
        _durable.VerifyScheduled(1);
    }

    [Fact]
    public async Task AKeyClaimedByAnotherRequestWithADifferentBody_Is422_EvenBeforeItsJobExists()
    {
        string jobId = JobScheduler.JobIdFor("order-1234");
        _storage.Put("veo-work", $"{jobId}/claim", BinaryData.FromString(JobScheduler.Fingerprint("{\"other\":true}"u8)));

        var result = await PostAsync(TestBodies.Valid(), "order-1234");

        AssertProblem(result, StatusCodes.Status422UnprocessableEntity);
        _durable.VerifyScheduled(0);
    }

    [Fact]
    public async Task AKeyWhoseJobAnotherRequestIsStillStarting_Is409InProgressWithRetryAfterOneSecond_AndStartsNothing()
    {
        byte[] body = TestBodies.Bytes(TestBodies.Valid());
        string jobId = JobScheduler.JobIdFor("order-1234");
        _storage.Put("veo-work", JobClaims.BlobName(jobId), BinaryData.FromObjectAsJson(
            new { fingerprint = JobScheduler.Fingerprint(body), claimedAt = _time.GetUtcNow(), attempt = "the-other-request" },
            new JsonSerializerOptions(JsonSerializerDefaults.Web)));

        var posting = PostAsync(TestRequests.Post(body, headers: new Dictionary<string, string> { [StartVideoJob.IdempotencyKeyHeader] = "order-1234" }));
        await Poll.UntilAsync(() =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(250)); // the other request's job does not appear while this one waits for it
            return posting.IsCompleted;
        });
        var result = await posting;

        // draft-ietf-httpapi-idempotency-key-header: a request whose first copy is still being processed is 409.
        AssertProblem(result, StatusCodes.Status409Conflict);
        Assert.Equal(Problems.IdempotencyKeyInProgressType, ((ProblemDetails)((ObjectResult)result).Value!).Type);
        var context = new DefaultHttpContext();
        Assert.IsAssignableFrom<ObjectResult>(result).OnFormatting(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        Assert.Equal("1", context.Response.Headers.RetryAfter.ToString());
        _durable.VerifyScheduled(0);
    }

    [Fact]
    public async Task ALoneSurrogateEscapeInAnyString_Is400NotAnException()
    {
        var result = await PostAsync(TestRequests.Post("{\"prompt\":\"\\udc00\",\"image_urls\":[\"https://example.com/a.png\"]}"));

        AssertProblem(result, StatusCodes.Status400BadRequest);
        _durable.VerifyScheduled(0);
    }

    [Fact]
    public async Task InvalidUtf8InAString_Is400NotAnException()
    {
        byte[] body = [.. "{\"prompt\":\"x\",\"image_urls\":[\"https://example.com/"u8, 0xC0, 0xAF, .. "a.png\"]}"u8];

        var result = await PostAsync(TestRequests.Post(body));

        AssertProblem(result, StatusCodes.Status400BadRequest);
        _durable.VerifyScheduled(0);
    }

    [Fact]
    public async Task AUtf8ByteOrderMark_IsAnsweredNotThrown_AndStartsAJobOnlyWhenAccepted()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. TestBodies.Bytes(TestBodies.Valid())];

        var result = await PostAsync(TestRequests.Post(body));

        int? status = TestRequests.StatusOf(result);
        Assert.Contains(status, new int?[] { 202, 400 });
        _durable.VerifyScheduled(status == 202 ? 1 : 0);
    }
}
