using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fal;
using Fal.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NSec.Cryptography;
using VeoFunctions.Functions;
using VeoFunctions.Jobs;
using VeoFunctions.Money;
using VeoFunctions.Storage;
using VeoFunctions.Tests.Support;
using VeoFunctions.Testing;

namespace VeoFunctions.Tests.Functions;

public sealed class ReceiveFalWebhookTests : IDisposable
{
    private const string JobId = "0123456789abcdef0123456789abcdef";
    private const string RequestId = "764cabcf-b745-4b3e-ae38-1200304cf45b";
    private const string UserId = "user-1";
    private const string FalKey = "secret-fal-key";
    private const string VideoUrl = "https://v3.fal.media/files/fox.mp4";

    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2025-06-01T12:00:00Z", CultureInfo.InvariantCulture);
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private readonly Key _falKey = NewKey();
    private readonly Key _otherKey = NewKey();
    private readonly FakeTimeProvider _time = new(Now);
    private readonly FakeBlobStorage _storage = new();
    private readonly FakeDurableClient _durable = new();
    private readonly FalWebhookIntake _intake;
    private ReceiveFalWebhook _function;

    public ReceiveFalWebhookTests()
    {
        var containers = _storage.Containers();
        _intake = new FalWebhookIntake(
            new SubmissionLedger(containers),
            new DeliveryLedger(containers),
            new SalvageRuns(new SubmissionLedger(containers), new DeliveryLedger(containers), Options.Create(new JobOptions { PublicBaseUrl = new Uri("https://app.example") }), NullLogger<SalvageRuns>.Instance, TestMetrics.Create()),
            Options.Create(new FalOptions { Key = "secret-fal-key" }),
            _time,
            NullLogger<FalWebhookIntake>.Instance,
            TestMetrics.Create());
        _function = Door();
        Record(JobId, RequestId);
        _durable.Add(JobId, OrchestrationRuntimeStatus.Running, JobInput(JobId));
    }

    public void Dispose()
    {
        _falKey.Dispose();
        _otherKey.Dispose();
    }

    private ReceiveFalWebhook Door(string? pinnedUserId = null) => new(
        new FalWebhookVerifier(new KeySource(_falKey.PublicKey), _time, Options.Create(new FalOptions { Key = FalKey, WebhookUserId = pinnedUserId })),
        _intake,
        NullLogger<ReceiveFalWebhook>.Instance,
        _time);

    private static VideoJobInput JobInput(string jobId) => new(
        jobId,
        new VideoRequest("A fox runs through snow"),
        [new ImageSource(0, "https://images.example/fox.png", null)],
        new Uri($"https://app.example/api/fal/webhook?job={jobId}&token=0a1b2c3d"),
        JobTiming.From(new JobOptions()),
        Now.AddMinutes(-5));

    private static Key NewKey() => Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });

    private void Record(string jobId, string requestId)
    {
        var queue = new Uri($"https://queue.fal.run/fal-ai/veo3.1/requests/{requestId}");
        var job = new FalJob(requestId, new Uri(queue + "/status"), queue, new Uri(queue + "/cancel"), 2, Now.AddMinutes(-2));
        _storage.Put("veo-work", $"{jobId}/submission.json", BinaryData.FromObjectAsJson(job, Web));
    }

    private static byte[] OkBody(string requestId = RequestId) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["request_id"] = requestId,
        ["gateway_request_id"] = requestId,
        ["status"] = "OK",
        ["payload"] = new JsonObject { ["video"] = new JsonObject { ["url"] = VideoUrl, ["content_type"] = "video/mp4", ["file_name"] = "fox.mp4", ["file_size"] = 1234567 } },
        ["error"] = null,
        ["payload_error"] = null,
    }.ToJsonString());

    private Dictionary<string, string> Signed(byte[] body, string requestId = RequestId, Key? key = null, DateTimeOffset? at = null)
    {
        string timestamp = (at ?? Now).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        byte[] signature = SignatureAlgorithm.Ed25519.Sign(key ?? _falKey, FalWebhookVerifier.SignedMessage(requestId, UserId, timestamp, body));
        return new()
        {
            [FalWebhookVerifier.RequestIdHeader] = requestId,
            [FalWebhookVerifier.UserIdHeader] = UserId,
            [FalWebhookVerifier.TimestampHeader] = timestamp,
            [FalWebhookVerifier.SignatureHeader] = Convert.ToHexStringLower(signature),
        };
    }

    private async Task<IActionResult> DeliverAsync(byte[] body, IDictionary<string, string> headers, string? query = "?job=" + JobId, bool chunked = false)
    {
        var result = await _function.RunAsync(TestRequests.Post(body, query: query, headers: headers, chunked: chunked), _durable.Object, CancellationToken.None);
        Assert.DoesNotContain(FalKey, TestRequests.BodyTextOf(result), StringComparison.Ordinal);
        return result;
    }

    private Task<IActionResult> DeliverSignedAsync(byte[] body) => DeliverAsync(body, Signed(body));

    private FalWebhookEvent RaisedEvent()
    {
        var raised = Assert.Single(_durable.Raised);
        Assert.Equal(JobId, raised.InstanceId);
        Assert.Equal(VideoJobOrchestrator.FalWebhookEvent, raised.Name);
        return Assert.IsType<FalWebhookEvent>(raised.Payload);
    }

    private void AssertRefused(IActionResult result, int status)
    {
        var problem = Assert.IsAssignableFrom<ObjectResult>(result);
        Assert.Equal(status, problem.StatusCode);
        Assert.IsAssignableFrom<ProblemDetails>(problem.Value);
        Assert.Contains("application/problem+json", problem.ContentTypes);
        _durable.VerifyRaised(0);
    }

    [Fact]
    public async Task AValidOkDelivery_Is200_AndRaisesTheVideoOnceToTheJob()
    {
        var result = await DeliverSignedAsync(OkBody());

        Assert.Equal(StatusCodes.Status200OK, TestRequests.StatusOf(result));
        _durable.VerifyRaised(1);
        Assert.Equal(new FalWebhookEvent(RequestId, true, VideoUrl, "video/mp4", 1234567, null), RaisedEvent());
    }

    [Fact]
    public async Task AValidErrorDelivery_RaisesAFailureWithFalsDetail()
    {
        byte[] body = Encoding.UTF8.GetBytes($$$"""
            {"request_id":"{{{RequestId}}}","status":"ERROR","error":"Invalid status code: 422",
             "payload":{"detail":[{"loc":["body","prompt"],"msg":"The prompt was flagged by the content checker","type":"content_policy_violation"}]}}
            """);

        var result = await DeliverSignedAsync(body);

        Assert.Equal(StatusCodes.Status200OK, TestRequests.StatusOf(result));
        var raised = RaisedEvent();
        Assert.False(raised.Ok);
        Assert.Null(raised.VideoUrl);
        Assert.Contains("The prompt was flagged by the content checker", raised.Error, StringComparison.Ordinal);
        Assert.Contains("content_policy_violation", raised.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnErrorDeliveryWithoutPayload_RaisesAFailureWithFalsErrorText()
    {
        byte[] body = Encoding.UTF8.GetBytes($$$"""{"request_id":"{{{RequestId}}}","status":"ERROR","error":"Runner disconnected","payload":null}""");

        await DeliverSignedAsync(body);

        var raised = RaisedEvent();
        Assert.False(raised.Ok);
        Assert.Contains("Runner disconnected", raised.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOkDeliveryWhosePayloadCouldNotBeSerialised_RaisesOkWithoutAVideoUrl()
    {
        byte[] body = Encoding.UTF8.GetBytes($$$"""{"request_id":"{{{RequestId}}}","status":"OK","payload":null,"payload_error":"Response payload too large"}""");

        var result = await DeliverSignedAsync(body);

        Assert.Equal(StatusCodes.Status200OK, TestRequests.StatusOf(result));
        Assert.Equal(new FalWebhookEvent(RequestId, true, null, null, null, null), RaisedEvent());
    }

    [Fact]
    public async Task AnOkDeliveryWithAnUnexpectedPayloadShape_RaisesOkWithoutAVideoUrl()
    {
        byte[] body = Encoding.UTF8.GetBytes($$$"""{"request_id":"{{{RequestId}}}","status":"OK","payload":{"video":"not-an-object"}}""");

        await DeliverSignedAsync(body);

        Assert.Equal(new FalWebhookEvent(RequestId, true, null, null, null, null), RaisedEvent());
    }

    [Theory]
    [InlineData(FalWebhookVerifier.RequestIdHeader)]
    [InlineData(FalWebhookVerifier.UserIdHeader)]
    [InlineData(FalWebhookVerifier.TimestampHeader)]
    [InlineData(FalWebhookVerifier.SignatureHeader)]
    public async Task ADeliveryMissingASignatureHeader_Is401AndRaisesNothing(string header)
    {
        byte[] body = OkBody();
        var headers = Signed(body);
        headers.Remove(header);

        AssertRefused(await DeliverAsync(body, headers), StatusCodes.Status401Unauthorized);
    }

    [Theory]
    [InlineData(FalWebhookVerifier.RequestIdHeader)]
    [InlineData(FalWebhookVerifier.UserIdHeader)]
    [InlineData(FalWebhookVerifier.TimestampHeader)]
    [InlineData(FalWebhookVerifier.SignatureHeader)]
    public async Task ADeliveryWithAnEmptySignatureHeader_Is401AndRaisesNothing(string header)
    {
        byte[] body = OkBody();
        var headers = Signed(body);
        headers[header] = "";

        AssertRefused(await DeliverAsync(body, headers), StatusCodes.Status401Unauthorized);
    }

    [Fact]
    public async Task ASignatureThatIsNotHex_Is401AndRaisesNothing()
    {
        byte[] body = OkBody();
        var headers = Signed(body);
        headers[FalWebhookVerifier.SignatureHeader] = "zz" + headers[FalWebhookVerifier.SignatureHeader][2..];

        AssertRefused(await DeliverAsync(body, headers), StatusCodes.Status401Unauthorized);
    }

    [Fact]
    public async Task ASignatureOfTheWrongLength_Is401AndRaisesNothing()
    {
        byte[] body = OkBody();
        var headers = Signed(body);
        headers[FalWebhookVerifier.SignatureHeader] = headers[FalWebhookVerifier.SignatureHeader][..126];

        AssertRefused(await DeliverAsync(body, headers), StatusCodes.Status401Unauthorized);
    }

    [Fact]
    public async Task ASignatureByAnotherKey_Is401AndRaisesNothing()
    {
        byte[] body = OkBody();

        AssertRefused(await DeliverAsync(body, Signed(body, key: _otherKey)), StatusCodes.Status401Unauthorized);
    }

    [Fact]
    public async Task ATamperedBody_Is401AndRaisesNothing()
    {
        byte[] body = OkBody();
        var headers = Signed(body);
        byte[] tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("fox.mp4", "cat.mp4", StringComparison.Ordinal));

        AssertRefused(await DeliverAsync(tampered, headers), StatusCodes.Status401Unauthorized);
    }

    [Fact]
    public async Task ASignatureOverAnotherUserId_Is401AndRaisesNothing()
    {
        byte[] body = OkBody();
        var headers = Signed(body);
        headers[FalWebhookVerifier.UserIdHeader] = "user-2";

        AssertRefused(await DeliverAsync(body, headers), StatusCodes.Status401Unauthorized);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(-301)]
    [InlineData(86_400)]
    public async Task ATimestampMoreThan300SecondsAway_Is401AndRaisesNothing(int offsetSeconds)
    {
        byte[] body = OkBody();

        AssertRefused(await DeliverAsync(body, Signed(body, at: Now.AddSeconds(offsetSeconds))), StatusCodes.Status401Unauthorized);
    }

    [Theory]
    [InlineData(299)]
    [InlineData(-299)]
    public async Task ATimestampWithin300Seconds_IsAccepted(int offsetSeconds)
    {
        byte[] body = OkBody();

        var result = await DeliverAsync(body, Signed(body, at: Now.AddSeconds(offsetSeconds)));

        Assert.Equal(StatusCodes.Status200OK, TestRequests.StatusOf(result));
        _durable.VerifyRaised(1);
    }

    [Theory]
    [InlineData("1748779200.0")]
    [InlineData("-1748779200")]
    [InlineData(" 1748779200")]
    [InlineData("99999999999999999999999")]
    public async Task ATimestampThatIsNotWholeUnixSeconds_Is401(string timestamp)
    {
        byte[] body = OkBody();
        var headers = Signed(body);
        headers[FalWebhookVerifier.TimestampHeader] = timestamp;

        AssertRefused(await DeliverAsync(body, headers), StatusCodes.Status401Unauthorized);
    }

    [Fact]
    public async Task AValidSignatureWhoseBodyNamesAnotherRequest_Is400AndRaisesNothing()
    {
        byte[] body = OkBody(requestId: "another-request");

        AssertRefused(await DeliverAsync(body, Signed(body, requestId: RequestId)), StatusCodes.Status400BadRequest);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"status\":\"OK\"}")]
    [InlineData("{\"request_id\":42}")]
    public async Task ASignedBodyThatIsNotAFalDelivery_Is400AndRaisesNothing(string text)
    {
        byte[] body = Encoding.UTF8.GetBytes(text);

        AssertRefused(await DeliverSignedAsync(body), StatusCodes.Status400BadRequest);
    }

    [Fact]
    public async Task ASignedBodyWithInvalidUtf8_Is400AndRaisesNothing()
    {
        byte[] body = [.. "{\"request_id\":\""u8, 0xC0, 0xAF, .. "\",\"status\":\"OK\"}"u8];

        AssertRefused(await DeliverSignedAsync(body), StatusCodes.Status400BadRequest);
    }

    [Fact]
    public async Task AValidDeliveryForAnotherJobsRequest_Is409AndRaisesNothing()
    {
        const string otherJob = "fedcba9876543210fedcba9876543210";
        Record(otherJob, "someone-elses-request");
        byte[] body = OkBody();

        AssertRefused(await DeliverAsync(body, Signed(body), query: "?job=" + otherJob), StatusCodes.Status409Conflict);
    }

    [Fact]
    public async Task ADeliveryForAJobNeverSubmitted_Is200_SoFalStopsRetrying_AndChangesNothing()
    {
        _storage.Blobs.Clear();
        byte[] body = OkBody();

        Assert.Equal(StatusCodes.Status200OK, TestRequests.StatusOf(await DeliverSignedAsync(body)));
        _durable.VerifyRaised(0);
        _durable.VerifyScheduled(0);
        Assert.Empty(_storage.Blobs);
    }

    [Fact]
    public async Task ADeliveryWhoseSignedHeaderIsTheGatewayId_IsAccepted_AndBindsTheJobByRequestId()
    {
        const string gatewayId = "0b7ec9a1-1111-4222-8333-944455556666";
        byte[] body = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["request_id"] = RequestId,
            ["gateway_request_id"] = gatewayId,
            ["status"] = "OK",
            ["payload"] = new JsonObject { ["video"] = new JsonObject { ["url"] = VideoUrl } },
        }.ToJsonString());

        var result = await DeliverAsync(body, Signed(body, requestId: gatewayId));

        Assert.Equal(StatusCodes.Status200OK, TestRequests.StatusOf(result));
        Assert.Equal(RequestId, RaisedEvent().RequestId);
    }

    [Theory]
    [InlineData(OrchestrationRuntimeStatus.Completed)]
    [InlineData(OrchestrationRuntimeStatus.Failed)]
    [InlineData(OrchestrationRuntimeStatus.Terminated)]
    public async Task ADeliveryForAnEndedJob_Is200_AndRaisesNothing(OrchestrationRuntimeStatus status)
    {
        // The host throws on an event for an ended instance (so does this fake): the door must not pass that on as a 500.
        _durable.Add(JobId, status, JobInput(JobId));
        byte[] body = OkBody();

        Assert.Equal(StatusCodes.Status200OK, TestRequests.StatusOf(await DeliverSignedAsync(body)));
        _durable.VerifyRaised(0);
    }

    [Fact]
    public async Task AnOkDeliveryForAJobThatEndedWithoutItsVideo_StartsOneSalvageRun_HoweverOftenItComes()
    {
        _durable.Add(JobId, OrchestrationRuntimeStatus.Failed, JobInput(JobId));
        byte[] body = OkBody();
        var headers = Signed(body);

        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Task.Run(() => DeliverAsync(body, headers))));

        Assert.All(results, r => Assert.Equal(StatusCodes.Status200OK, TestRequests.StatusOf(r)));
        var salvage = Assert.Single(_durable.Scheduled);
        Assert.Equal(JobIds.SalvageIdFor(JobId), salvage.InstanceId);
        Assert.Equal(nameof(VideoSalvageOrchestrator), salvage.Name);
        var input = Assert.IsType<SalvageInput>(salvage.Input);
        Assert.Equal(RequestId, input.Fal.RequestId);
        Assert.Equal(VideoUrl, input.Delivered.VideoUrl);
        Assert.Equal("A fox runs through snow", input.Plan.Request.Prompt);
    }

    [Fact]
    public async Task AnOkDeliveryForACompletedJob_StartsNoSalvage()
    {
        _durable.Add(JobId, OrchestrationRuntimeStatus.Completed, JobInput(JobId));
        byte[] body = OkBody();

        await DeliverSignedAsync(body);

        _durable.VerifyScheduled(0);
    }

    [Fact]
    public async Task AnErrorDeliveryForAFailedJob_StartsNoSalvage()
    {
        _durable.Add(JobId, OrchestrationRuntimeStatus.Failed, JobInput(JobId));
        byte[] body = Encoding.UTF8.GetBytes($$$"""{"request_id":"{{{RequestId}}}","status":"ERROR","error":"Runner disconnected","payload":null}""");

        Assert.Equal(StatusCodes.Status200OK, TestRequests.StatusOf(await DeliverSignedAsync(body)));
        _durable.VerifyScheduled(0);
    }

    [Fact]
    public async Task ADeliveryForASubmitWhoseAnswerWasLost_AdoptsTheRequest_AndRaisesTheEvent()
    {
        _storage.Blobs.Clear();
        _storage.Put("veo-work", $"{JobId}/submit-intent", BinaryData.FromObjectAsJson(new { webhookToken = "0a1b2c3d", attempt = "a1" }, Web));
        byte[] body = OkBody();

        var result = await DeliverAsync(body, Signed(body), query: $"?job={JobId}&token=0a1b2c3d");

        Assert.Equal(StatusCodes.Status200OK, TestRequests.StatusOf(result));
        var adopted = _storage.Blobs[$"veo-work/ledger/{JobId}/submission.json"].ToObjectFromJson<FalJob>(Web)!;
        Assert.Equal(RequestId, adopted.RequestId);
        Assert.Equal($"https://queue.fal.run/fal-ai/veo3.1/requests/{RequestId}/status", adopted.StatusUrl.AbsoluteUri);
        _durable.VerifyRaised(1);
    }

    [Fact]
    public async Task ADeliveryForASubmitWithoutAToken_AdoptsNothing_EvenWithAnEmptyTokenInTheUrl()
    {
        _storage.Blobs.Clear();
        _storage.Put("veo-work", $"{JobId}/submit-intent", BinaryData.FromObjectAsJson(new { webhookToken = "", attempt = "a1" }, Web));
        byte[] body = OkBody();

        AssertRefused(await DeliverAsync(body, Signed(body), query: $"?job={JobId}&token="), StatusCodes.Status401Unauthorized);
        Assert.False(_storage.Blobs.ContainsKey($"veo-work/ledger/{JobId}/submission.json"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("&token=")]
    [InlineData("&token=ffffffff")]
    public async Task ADeliveryForASubmitWhoseAnswerWasLost_WithoutTheJobsToken_AdoptsNothing(string token)
    {
        // fal's signature does not cover the URL: a signed delivery replayed to another job's URL must not be adopted.
        _storage.Blobs.Clear();
        _storage.Put("veo-work", $"{JobId}/submit-intent", BinaryData.FromObjectAsJson(new { webhookToken = "0a1b2c3d", attempt = "a1" }, Web));
        byte[] body = OkBody();

        AssertRefused(await DeliverAsync(body, Signed(body), query: $"?job={JobId}{token}"), StatusCodes.Status401Unauthorized);
        Assert.False(_storage.Blobs.ContainsKey($"veo-work/ledger/{JobId}/submission.json"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("?job=")]
    [InlineData("?job=ABCDEF")]
    [InlineData("?job=..%2Fx")]
    [InlineData("?job=abc-def")]
    [InlineData("?other=0123456789abcdef0123456789abcdef")]
    public async Task AMissingOrIllFormedJob_Is400AndRaisesNothing(string? query)
    {
        byte[] body = OkBody();

        AssertRefused(await DeliverAsync(body, Signed(body), query: query), StatusCodes.Status400BadRequest);
    }

    [Fact]
    public async Task AJobIdOf65Characters_Is400()
    {
        byte[] body = OkBody();

        AssertRefused(await DeliverAsync(body, Signed(body), query: "?job=" + new string('a', 65)), StatusCodes.Status400BadRequest);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ABodyOver256Kilobytes_Is413AndRaisesNothing_EvenWhenSigned(bool chunked)
    {
        var payload = new byte[(256 * 1024) + 1];
        Array.Fill(payload, (byte)' ');
        OkBody().CopyTo(payload, 0);

        AssertRefused(await DeliverAsync(payload, Signed(payload), chunked: chunked), StatusCodes.Status413PayloadTooLarge);
    }

    [Fact]
    public async Task TheSameDeliveryFiveTimesAtOnce_IsAnswered200EachTime_AndRaisedEachTime()
    {
        byte[] body = OkBody();
        var headers = Signed(body);

        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Task.Run(() => DeliverAsync(body, headers))));

        Assert.All(results, r => Assert.Equal(StatusCodes.Status200OK, TestRequests.StatusOf(r)));
        _durable.VerifyRaised(5);
        Assert.All(_durable.Raised, e => Assert.Equal(new FalWebhookEvent(RequestId, true, VideoUrl, "video/mp4", 1234567, null), e.Payload));
    }

    [Fact]
    public async Task AnErrorDetailWithALoneSurrogateEscape_IsStillRaisedAsAFailure()
    {
        byte[] body = Encoding.UTF8.GetBytes($$$"""{"request_id":"{{{RequestId}}}","status":"ERROR","payload":{"detail":"broken \ud83e text"}}""");

        var result = await DeliverSignedAsync(body);

        Assert.Equal(StatusCodes.Status200OK, TestRequests.StatusOf(result));
        Assert.False(RaisedEvent().Ok);
    }

    [Theory]
    [InlineData(FalWebhookVerifier.RequestIdHeader)]
    [InlineData(FalWebhookVerifier.UserIdHeader)]
    [InlineData(FalWebhookVerifier.TimestampHeader)]
    [InlineData(FalWebhookVerifier.SignatureHeader)]
    public async Task ADeliveryMissingASignatureHeader_IsRefusedBeforeItsBodyIsRead(string header)
    {
        byte[] body = OkBody();
        var headers = Signed(body);
        headers.Remove(header);
        var request = TestRequests.Post(body, query: "?job=" + JobId, headers: headers);
        var watched = new WatchedBody(request.Body);
        request.Body = watched;

        AssertRefused(await _function.RunAsync(request, _durable.Object, CancellationToken.None), StatusCodes.Status401Unauthorized);
        Assert.False(watched.WasRead);
    }

    [Fact]
    public async Task ADeliveryWhoseTimestampIsOutsideTheWindow_IsRefusedBeforeItsBodyIsRead()
    {
        byte[] body = OkBody();
        var request = TestRequests.Post(body, query: "?job=" + JobId, headers: Signed(body, at: Now.AddMinutes(-6)));
        var watched = new WatchedBody(request.Body);
        request.Body = watched;

        AssertRefused(await _function.RunAsync(request, _durable.Object, CancellationToken.None), StatusCodes.Status401Unauthorized);
        Assert.False(watched.WasRead);
    }

    [Fact]
    public async Task AGenuineDeliveryForAnotherFalAccount_Is401_WhenTheAppsAccountIsPinned_AndItsBodyIsNotRead()
    {
        _function = Door(pinnedUserId: "user-of-this-app");
        byte[] body = OkBody();
        var request = TestRequests.Post(body, query: "?job=" + JobId, headers: Signed(body)); // signed by fal's key for "user-1"
        var watched = new WatchedBody(request.Body);
        request.Body = watched;

        var result = await _function.RunAsync(request, _durable.Object, CancellationToken.None);

        AssertRefused(result, StatusCodes.Status401Unauthorized);
        Assert.Contains("Fal:WebhookUserId", TestRequests.BodyTextOf(result), StringComparison.Ordinal);
        Assert.False(watched.WasRead);
    }

    [Fact]
    public async Task AGenuineDeliveryForThePinnedAccount_IsAccepted()
    {
        _function = Door(pinnedUserId: UserId);

        var result = await DeliverSignedAsync(OkBody());

        Assert.Equal(StatusCodes.Status200OK, TestRequests.StatusOf(result));
        _durable.VerifyRaised(1);
    }

    [Theory]
    [InlineData("bad-request")]
    [InlineData("reset")]
    [InlineData("aborted")]
    public async Task ABodyCutShort_Is400_NotAnException(string how)
    {
        byte[] body = OkBody();
        var request = TestRequests.Post(body, query: "?job=" + JobId, headers: Signed(body));
        Exception failure = how switch
        {
            "bad-request" => new BadHttpRequestException("Unexpected end of request content.", StatusCodes.Status400BadRequest),
            "reset" => new IOException("The client reset the request stream."),
            _ => new OperationCanceledException("The request was aborted."),
        };
        request.Body = new FailingBody(body.Length / 2, failure);

        AssertRefused(await _function.RunAsync(request, _durable.Object, CancellationToken.None), StatusCodes.Status400BadRequest);
    }

    [Fact]
    public async Task ABodyThatDoesNotArriveWithinTheDeadline_Is408()
    {
        byte[] body = OkBody();
        var request = TestRequests.Post(body, query: "?job=" + JobId, headers: Signed(body));
        request.Body = new StalledBody();

        var answer = _function.RunAsync(request, _durable.Object, CancellationToken.None);
        Assert.False(answer.IsCompleted);
        _time.Advance(ReceiveFalWebhook.BodyDeadline);

        // Generous: the only wait is for the cancelled read to unwind on a busy machine.
        AssertRefused(await answer.WaitAsync(Patience.Condition), StatusCodes.Status408RequestTimeout);
    }

    /// <summary>A body that notes whether anyone read it.</summary>
    private sealed class WatchedBody(Stream inner) : FailingBody(int.MaxValue, null)
    {
        public bool WasRead { get; private set; }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            WasRead = true;
            return inner.ReadAsync(buffer, cancellationToken);
        }
    }

    /// <summary>A body whose bytes never come, as a slow sender's.</summary>
    private sealed class StalledBody() : FailingBody(int.MaxValue, null)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }
    }

    private sealed class KeySource(PublicKey key) : IFalWebhookKeySource
    {
        public ValueTask<IReadOnlyList<PublicKey>> GetKeysAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<PublicKey>>([key]);

        public ValueTask<IReadOnlyList<PublicKey>?> RefreshAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<PublicKey>?>(null);
    }
}
