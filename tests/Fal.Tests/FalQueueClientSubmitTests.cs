using System.Net;
using Fal.Queue;
using FalEmulator;

namespace Fal.Tests;

public sealed class FalQueueClientSubmitTests
{
    [Fact]
    public async Task Submit_KeepsTheRequestIdAndTheUrlsFalReturned()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator());
        var client = TestFal.Queue(fal);

        var submission = await TestFal.SubmitAsync(client);

        var accepted = Assert.Single(fal.State.Submissions);
        var request = submission.Request;
        Assert.Equal(accepted.RequestId, request.RequestId);
        Assert.Equal(TestFal.Endpoint, request.EndpointId);
        Assert.Equal($"{fal.BaseUrl}/fal-ai/veo3.1/requests/{accepted.RequestId}/status", request.StatusUrl.AbsoluteUri);
        Assert.Equal($"{fal.BaseUrl}/fal-ai/veo3.1/requests/{accepted.RequestId}", request.ResponseUrl.AbsoluteUri);
        Assert.Equal($"{fal.BaseUrl}/fal-ai/veo3.1/requests/{accepted.RequestId}/cancel", request.CancelUrl.AbsoluteUri);
        Assert.Equal(0, submission.QueuePosition);
    }

    [Fact]
    public async Task Submit_SendsTheKeyPriorityAndStartTimeoutHeaders_AndTheInputAsJson()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator());
        var recorder = new RecordingHandler();
        var client = TestFal.Queue(fal, recorder);

        var submission = await TestFal.SubmitAsync(client, submit: new FalSubmitOptions { Priority = "low", StartTimeout = TimeSpan.FromSeconds(1.5) });

        var post = Assert.Single(recorder.Seen);
        Assert.Equal(HttpMethod.Post, post.Method);
        Assert.Equal("/fal-ai/veo3.1/reference-to-video", post.RawPathAndQuery);
        Assert.Equal("Key k:s", post.Header("Authorization"));
        Assert.Equal("low", post.Header("x-fal-queue-priority"));
        Assert.Equal("2", post.Header("x-fal-request-timeout")); // whole seconds, rounded up
        Assert.StartsWith("application/json", post.ContentType, StringComparison.Ordinal);
        Assert.Contains("\"image_urls\":[\"data:image/png", System.Text.Encoding.UTF8.GetString(post.Body), StringComparison.Ordinal);

        var accepted = fal.State.GetSubmission(submission.Request.RequestId);
        Assert.NotNull(accepted);
        Assert.Equal("low", accepted.Priority);
    }

    [Fact]
    public async Task Submit_IsRejectedByFal_WhenTheKeyIsWrong()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator());
        var client = TestFal.Queue(fal, configure: o => o.Key = "other:key");

        var ex = await Assert.ThrowsAsync<FalApiException>(() => TestFal.SubmitAsync(client));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Empty(fal.State.Submissions);
        Assert.Equal(1, fal.State.GetCount(RequestKind.Submit));
    }

    [Fact]
    public async Task Submit_UrlEncodesTheWebhookIntoTheFalWebhookQueryParameter()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.QueueTime = TimeSpan.FromSeconds(30)));
        var recorder = new RecordingHandler();
        var client = TestFal.Queue(fal, recorder);
        var webhook = new Uri("http://127.0.0.1:9/hooks/fal?job=42&kind=video");

        var submission = await TestFal.SubmitAsync(client, submit: new FalSubmitOptions { WebhookUrl = webhook });

        var post = Assert.Single(recorder.Seen);
        Assert.Equal(
            "/fal-ai/veo3.1/reference-to-video?fal_webhook=http%3A%2F%2F127.0.0.1%3A9%2Fhooks%2Ffal%3Fjob%3D42%26kind%3Dvideo",
            post.RawPathAndQuery);
        Assert.Equal(webhook.AbsoluteUri, fal.State.GetSubmission(submission.Request.RequestId)?.WebhookUrl);
    }

    [Fact]
    public async Task Submit_NeverSendsTheKeyToUrlsOnAForeignHost_AndDerivesQueueUrlsInstead()
    {
        var stub = new StubHandler((req, _) => req.Method == HttpMethod.Post
            ? StubHandler.Json(HttpStatusCode.OK, """
                {"status":"IN_QUEUE","request_id":"r-1",
                 "status_url":"https://evil.example/fal-ai/veo3.1/requests/r-1/status",
                 "response_url":"https://evil.example/fal-ai/veo3.1/requests/r-1",
                 "cancel_url":"https://queue.fal.run:8443/fal-ai/veo3.1/requests/r-1/cancel","queue_position":3}
                """)
            : req.Method == HttpMethod.Put
                ? StubHandler.Json(HttpStatusCode.Accepted, """{"status":"CANCELLATION_REQUESTED"}""")
                : req.Uri.AbsolutePath.EndsWith("/status", StringComparison.Ordinal)
                    ? StubHandler.Json(HttpStatusCode.OK, """{"status":"COMPLETED"}""")
                    : StubHandler.Json(HttpStatusCode.OK, """{"video":{"url":"https://v3.fal.media/files/x.mp4"}}"""));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        var submission = await TestFal.SubmitAsync(client);
        await client.GetStatusAsync(submission.Request);
        await client.GetResultAsync(submission.Request, FalJsonContext.Default.ReferenceToVideoOutput);
        await client.CancelAsync(submission.Request);

        Assert.Equal("https://queue.fal.run/fal-ai/veo3.1/requests/r-1/status", submission.Request.StatusUrl.AbsoluteUri);
        Assert.Equal("https://queue.fal.run/fal-ai/veo3.1/requests/r-1", submission.Request.ResponseUrl.AbsoluteUri);
        Assert.Equal("https://queue.fal.run/fal-ai/veo3.1/requests/r-1/cancel", submission.Request.CancelUrl.AbsoluteUri);
        Assert.Equal(3, submission.QueuePosition);
        var seen = stub.Seen.ToList();
        Assert.Equal(4, seen.Count);
        Assert.All(seen, s => Assert.Equal("https://queue.fal.run", s.Uri.GetLeftPart(UriPartial.Authority)));
        Assert.Equal("https://queue.fal.run/fal-ai/veo3.1/requests/r-1/status?logs=0", seen[1].Uri.AbsoluteUri);
        Assert.Equal("https://queue.fal.run/fal-ai/veo3.1/requests/r-1", seen[2].Uri.AbsoluteUri);
        Assert.Equal("https://queue.fal.run/fal-ai/veo3.1/requests/r-1/cancel", seen[3].Uri.AbsoluteUri);
    }

    [Fact]
    public async Task Status_UsesDerivedUrl_WhenAKeptRequestPointsAtAForeignHost()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.Accepted, """{"status":"IN_QUEUE","queue_position":0}"""));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);
        var tampered = FalRequest.FromRequestId(TestFal.Endpoint, "r-9", new Uri("https://attacker.example"));

        await client.GetStatusAsync(tampered, logs: true);

        var seen = Assert.Single(stub.Seen);
        Assert.Equal("https://queue.fal.run/fal-ai/veo3.1/requests/r-9/status?logs=1", seen.Uri.AbsoluteUri);
    }

    [Fact]
    public async Task Submit_RetriesA429_AndFalAcceptsExactlyOneSubmission()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.Faults.Add(FaultRule.SubmitHttpError(429))));
        var client = TestFal.Queue(fal);

        var submission = await TestFal.SubmitAsync(client);

        Assert.Equal(2, fal.State.GetCount(RequestKind.Submit));
        var accepted = Assert.Single(fal.State.Submissions);
        Assert.Equal(accepted.RequestId, submission.Request.RequestId);
    }

    [Theory]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Submit_ThrowsUncertain_AndDoesNotRetry_WhenAGatewayErrorWithoutARequestIdFollowsAnAcceptance(int status)
    {
        // An edge in front of fal can forward the submit and still answer a bare gateway error: no request id is no proof.
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.Faults.Add(FaultRule.SubmitAcceptedThenHttpError(status, includeRequestIdHeader: false))));
        var client = TestFal.Queue(fal);

        var ex = await Assert.ThrowsAsync<FalSubmissionUncertainException>(() => TestFal.SubmitAsync(client));

        Assert.Equal(1, fal.State.GetCount(RequestKind.Submit));
        Assert.Single(fal.State.Submissions);
        var inner = Assert.IsType<FalApiException>(ex.InnerException);
        Assert.Equal((HttpStatusCode)status, inner.StatusCode);
        Assert.Null(inner.RequestId);
    }

    [Fact]
    public async Task Submit_ThrowsUncertain_AfterOneTry_WhenFalAnswers503WithoutARequestId()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.Faults.Add(FaultRule.SubmitHttpError(503, count: null))));
        var client = TestFal.Queue(fal, configure: o => o.MaxAttempts = 3);

        var ex = await Assert.ThrowsAsync<FalSubmissionUncertainException>(() => TestFal.SubmitAsync(client));

        Assert.Equal("runner_unavailable", Assert.IsType<FalApiException>(ex.InnerException).Error.ErrorType);
        Assert.Equal(1, fal.State.GetCount(RequestKind.Submit));
    }

    [Fact]
    public async Task Submit_GivesUpAfterMaxAttempts_WhenFalKeepsAnswering429_AndSaysSoPlainly()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.Faults.Add(FaultRule.SubmitHttpError(429, count: null))));
        var client = TestFal.Queue(fal, configure: o => o.MaxAttempts = 3);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => TestFal.SubmitAsync(client));

        Assert.Equal(HttpStatusCode.TooManyRequests, ex.StatusCode);
        Assert.True(ex.IsTransient);
        Assert.Equal(3, fal.State.GetCount(RequestKind.Submit));
        Assert.Empty(fal.State.Submissions);
    }

    [Fact]
    public async Task Submit_DoesNotRetry_WhenFalAnswers502WithARequestId()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.Faults.Add(FaultRule.SubmitAcceptedThenHttpError(502, includeRequestIdHeader: true))));
        var client = TestFal.Queue(fal);

        var ex = await Assert.ThrowsAsync<FalSubmissionUncertainException>(() => TestFal.SubmitAsync(client));

        Assert.Equal(1, fal.State.GetCount(RequestKind.Submit));
        var accepted = Assert.Single(fal.State.Submissions);
        var inner = Assert.IsType<FalApiException>(ex.InnerException);
        Assert.Equal(HttpStatusCode.BadGateway, inner.StatusCode);
        Assert.Equal(accepted.RequestId, inner.RequestId);
    }

    [Fact]
    public async Task Submit_DoesNotRetry_WhenFalAnswers500WithARequestId()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.InternalServerError, """{"detail":"boom","error_type":"internal_error"}""", ("x-fal-request-id", "r-500")));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        var ex = await Assert.ThrowsAsync<FalSubmissionUncertainException>(() => TestFal.SubmitAsync(client));

        Assert.Equal(1, stub.Calls);
        Assert.Equal("r-500", Assert.IsType<FalApiException>(ex.InnerException).RequestId);
    }

    [Fact]
    public async Task Submit_ThrowsUncertain_WhenFalAnswers500WithoutARequestId()
    {
        // Only gateway errors without a request id prove the request never reached the queue; a 500 does not.
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.InternalServerError, """{"detail":"boom","error_type":"internal_error"}"""));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        await Assert.ThrowsAsync<FalSubmissionUncertainException>(() => TestFal.SubmitAsync(client));

        Assert.Equal(1, stub.Calls);
    }

    [Fact]
    public async Task Submit_ThrowsUncertain_WhenFalAcceptedAndThenTheConnectionWasAborted()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.Faults.Add(FaultRule.SubmitAcceptedThenAbort())));
        var client = TestFal.Queue(fal);

        var ex = await Assert.ThrowsAsync<FalSubmissionUncertainException>(() => TestFal.SubmitAsync(client));

        Assert.NotNull(ex.InnerException);
        Assert.Equal(1, fal.State.GetCount(RequestKind.Submit));
        Assert.Single(fal.State.Submissions);
    }

    [Fact]
    public async Task Submit_RetriesAndThenThrowsHttpRequestException_WhenTheConnectionIsRefused()
    {
        var counting = new RecordingHandler();
        var client = TestFal.Queue(TestFal.Options($"http://127.0.0.1:{TestFal.ClosedPort()}", o => o.MaxAttempts = 3), counting);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => TestFal.SubmitAsync(client));

        Assert.Equal(HttpRequestError.ConnectionError, ex.HttpRequestError);
        Assert.Equal(3, counting.Seen.Count);
    }

    [Fact]
    public async Task Submit_RetriesAFailedTlsHandshake_WhichNoRequestByteGetsPast()
    {
        // A real handshake against a plain-HTTP listener: .NET must raise SecureConnectionError, and fal sees no submit.
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator());
        var counting = new RecordingHandler();
        var client = TestFal.Queue(TestFal.Options(new UriBuilder(fal.BaseUrl) { Scheme = "https" }.Uri, o => o.MaxAttempts = 2), counting);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => TestFal.SubmitAsync(client));

        Assert.Equal(HttpRequestError.SecureConnectionError, ex.HttpRequestError);
        Assert.Equal(2, counting.Seen.Count);
        Assert.Equal(0, fal.State.GetCount(RequestKind.Submit));
    }

    [Theory]
    [InlineData(HttpRequestError.NameResolutionError)]
    [InlineData(HttpRequestError.ConnectionError)]
    [InlineData(HttpRequestError.SecureConnectionError)]
    public async Task Submit_RetriesAConnectFailure_AndRethrowsItAsIs(HttpRequestError error)
    {
        var stub = new StubHandler((_, _) => throw new HttpRequestException(error, "no connection"));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run", o => o.MaxAttempts = 3), stub);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => TestFal.SubmitAsync(client));

        Assert.Equal(error, ex.HttpRequestError);
        Assert.Equal(3, stub.Calls);
    }

    [Theory]
    [InlineData("reset")]
    [InlineData("timeout")]
    [InlineData(nameof(HttpRequestError.Unknown))]
    [InlineData(nameof(HttpRequestError.ResponseEnded))]
    [InlineData(nameof(HttpRequestError.HttpProtocolError))]
    [InlineData(nameof(HttpRequestError.ProxyTunnelError))]
    public async Task Submit_ThrowsUncertain_AfterOneTry_ForAFailureAfterTheBodyMayHaveLeft(string failure)
    {
        Exception thrown = failure switch
        {
            "reset" => new IOException("Connection reset by peer"),
            "timeout" => new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout"),
            _ => new HttpRequestException(Enum.Parse<HttpRequestError>(failure), "failed after connecting"),
        };
        var stub = new StubHandler((_, _) => throw thrown);
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        var ex = await Assert.ThrowsAsync<FalSubmissionUncertainException>(() => TestFal.SubmitAsync(client));

        Assert.Same(thrown, ex.InnerException);
        Assert.Equal(1, stub.Calls);
    }

    [Fact]
    public async Task Submit_SendsTheSameBodyOnEveryTry()
    {
        var stub = new StubHandler((_, call) => call == 1
            ? StubHandler.Json(HttpStatusCode.TooManyRequests, """{"detail":"slow down"}""")
            : StubHandler.Json(HttpStatusCode.OK, """{"status":"IN_QUEUE","request_id":"r-2"}"""));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        var submission = await TestFal.SubmitAsync(client);

        Assert.Equal("r-2", submission.Request.RequestId);
        var tries = stub.Seen.ToList();
        Assert.Equal(2, tries.Count);
        Assert.Equal(tries[0].Body, tries[1].Body);
        Assert.NotEmpty(tries[0].Body);
    }

    [Fact]
    public async Task Submit_ThrowsAValidationError_WithParsedItems_AndDoesNotRetryA422()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o =>
            o.Faults.Add(FaultRule.SubmitValidationError("image_urls", "Too many reference images.", "too_many_images"))));
        var client = TestFal.Queue(fal);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => TestFal.SubmitAsync(client));

        Assert.IsNotType<FalSubmissionUncertainException>(ex);
        Assert.True(ex.IsValidationError);
        Assert.False(ex.IsTransient);
        var item = Assert.Single(ex.Error.Items);
        Assert.Equal(new FalValidationItem("image_urls", "Too many reference images.", "too_many_images"), item);
        Assert.Contains("422", ex.Message, StringComparison.Ordinal);
        Assert.Contains("image_urls: Too many reference images", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, fal.State.GetCount(RequestKind.Submit));
        Assert.Empty(fal.State.Submissions);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Submit_DoesNotRetry_WhenFalAnswers504ForTheUsersOwnStartTimeout(bool withRequestId)
    {
        var headers = new List<(string, string)> { ("x-fal-request-timeout-type", "user"), ("X-Fal-Error-Type", "request_timeout") };
        if (withRequestId)
        {
            headers.Add(("x-fal-request-id", "r-timeout"));
        }

        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.GatewayTimeout, """{"detail":"Request timed out","error_type":"request_timeout"}""", [.. headers]));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => TestFal.SubmitAsync(client, submit: new FalSubmitOptions { StartTimeout = TimeSpan.FromSeconds(10) }));

        Assert.IsNotType<FalSubmissionUncertainException>(ex);
        Assert.Equal(1, stub.Calls);
        Assert.True(ex.Error.IsUserRequestTimeout);
        Assert.False(ex.IsTransient);
        Assert.Equal("request_timeout", ex.Error.ErrorType);
    }

    [Fact]
    public async Task Submit_DoesNotRetryA429_WhenFalSaysXFalRetryableFalse()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.TooManyRequests, """{"detail":"no"}""", ("X-Fal-Retryable", "false")));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => TestFal.SubmitAsync(client));

        Assert.Equal(1, stub.Calls);
        Assert.False(ex.RetryableHint);
        Assert.False(ex.IsTransient);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task Submit_ThrowsUncertain_ForA503_WhateverXFalRetryableSays(string retryable)
    {
        // The hint says whether the error is transient, not whether the request was queued.
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.ServiceUnavailable, """{"detail":"no"}""", ("X-Fal-Retryable", retryable)));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        await Assert.ThrowsAsync<FalSubmissionUncertainException>(() => TestFal.SubmitAsync(client));

        Assert.Equal(1, stub.Calls);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.RequestEntityTooLarge)]
    public async Task Submit_ThrowsTheRefusal_NotUncertain_AndDoesNotRetry_ForA4xx(HttpStatusCode status)
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(status, """{"detail":"refused"}""", ("x-fal-request-id", "r-4xx")));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => TestFal.SubmitAsync(client));

        Assert.Equal(status, ex.StatusCode);
        Assert.Equal(1, stub.Calls);
    }

    [Fact]
    public async Task Submit_ThrowsOperationCanceled_NotUncertain_WhenTheCallerCancels()
    {
        using var cts = new CancellationTokenSource();
        var stub = new StubHandler((_, _) =>
        {
            cts.Cancel();
            throw new TaskCanceledException("caller cancelled", null, cts.Token);
        });
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TestFal.SubmitAsync(client, cancellationToken: cts.Token));

        Assert.Equal(1, stub.Calls);
    }

    [Fact]
    public async Task Submit_ThrowsUncertain_WhenFalAnswers200WithAnUnreadableBody()
    {
        var stub = new StubHandler((_, _) => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("<html>ok</html>") });
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        await Assert.ThrowsAsync<FalSubmissionUncertainException>(() => TestFal.SubmitAsync(client));

        Assert.Equal(1, stub.Calls);
    }

    [Fact]
    public async Task Submit_ThrowsUncertain_AndDoesNotRetry_WhenFalAnswers200WithoutARequestId()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.OK, """{"status":"IN_QUEUE"}"""));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        var ex = await Assert.ThrowsAsync<FalSubmissionUncertainException>(() => TestFal.SubmitAsync(client));

        Assert.Contains("request_id", ex.InnerException!.Message, StringComparison.Ordinal);
        Assert.Equal(1, stub.Calls);
    }
}
