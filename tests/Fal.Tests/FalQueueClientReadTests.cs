using System.Net;
using Fal.Queue;
using FalEmulator;

namespace Fal.Tests;

/// <summary>Status, result and cancel: the calls made after a submit.</summary>
public sealed class FalQueueClientReadTests
{
    [Fact]
    public async Task Status_ReportsInQueueWithTheZeroBasedQueuePosition()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.QueueTime = TimeSpan.FromSeconds(30)));
        var client = TestFal.Queue(fal);
        var first = await TestFal.SubmitAsync(client, "first");
        var second = await TestFal.SubmitAsync(client, "second");

        var firstStatus = await client.GetStatusAsync(first.Request);
        var secondStatus = await client.GetStatusAsync(second.Request);

        Assert.Equal(FalRequestState.InQueue, firstStatus.State);
        Assert.Equal(0, firstStatus.QueuePosition);
        Assert.Equal(FalRequestState.InQueue, secondStatus.State);
        Assert.Equal(1, secondStatus.QueuePosition);
        Assert.False(secondStatus.IsCompleted);
        Assert.False(secondStatus.HasFailed);
    }

    [Fact]
    public async Task Status_ReportsInProgress_WithLogsWhenAsked()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o =>
        {
            o.QueueTime = TimeSpan.Zero;
            o.GenerationTime = TimeSpan.FromSeconds(30);
        }));
        var client = TestFal.Queue(fal);
        var submission = await TestFal.SubmitAsync(client);

        var deadline = DateTime.UtcNow.AddSeconds(8);
        var status = await client.GetStatusAsync(submission.Request, logs: true);
        while (status.State != FalRequestState.InProgress && DateTime.UtcNow < deadline)
        {
            await Task.Delay(15);
            status = await client.GetStatusAsync(submission.Request, logs: true);
        }

        Assert.Equal(FalRequestState.InProgress, status.State);
        Assert.False(status.IsCompleted);
        Assert.Null(status.QueuePosition);
        Assert.Contains(status.Logs, l => l.Message.Contains("started", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Status_ReportsCompletedWithMetrics_AndNotFailed_OnSuccess()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator());
        var client = TestFal.Queue(fal);
        var submission = await TestFal.SubmitAsync(client);

        await TestFal.WaitCompletedAsync(client, submission.Request);
        var status = await client.GetStatusAsync(submission.Request, logs: true);

        Assert.Equal(FalRequestState.Completed, status.State);
        Assert.True(status.IsCompleted);
        Assert.False(status.HasFailed);
        Assert.Null(status.Error);
        Assert.NotNull(status.InferenceTimeSeconds);
        Assert.NotEmpty(status.Logs);
    }

    [Fact]
    public async Task Status_ReportsCompletedAsFailed_WhenTheRunnerDisconnected()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.Faults.Add(FaultRule.Generation(FaultKind.RunnerDisconnected))));
        var client = TestFal.Queue(fal);
        var submission = await TestFal.SubmitAsync(client);

        var status = await TestFal.WaitCompletedAsync(client, submission.Request);

        Assert.True(status.IsCompleted);
        Assert.True(status.HasFailed);
        Assert.Equal("runner_disconnected", status.ErrorType);
        Assert.False(string.IsNullOrEmpty(status.Error));
    }

    [Fact]
    public async Task Status_MapsAnUnknownStatusToUnknown_WhichIsNotFinished()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.Accepted, """{"status":"PAUSED_FOR_MAINTENANCE"}"""));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        var status = await client.GetStatusAsync(FalRequest.FromRequestId(TestFal.Endpoint, "r-1", new Uri("https://queue.fal.run")));

        Assert.Equal(FalRequestState.Unknown, status.State);
        Assert.False(status.IsCompleted);
        Assert.False(status.HasFailed);
    }

    [Fact]
    public async Task Status_ReadsErrorAndErrorTypeFromACompletedStatus()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.OK,
            """{"status":"COMPLETED","error":"Runner disconnected unexpectedly.","error_type":"runner_disconnected","metrics":{"inference_time":1.5},"logs":[{"message":"m","level":"INFO","timestamp":"2025-01-01T00:00:00Z"},{"level":"INFO"}]}"""));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        var status = await client.GetStatusAsync(FalRequest.FromRequestId(TestFal.Endpoint, "r-1", new Uri("https://queue.fal.run")), logs: true);

        Assert.True(status.HasFailed);
        Assert.Equal("Runner disconnected unexpectedly.", status.Error);
        Assert.Equal("runner_disconnected", status.ErrorType);
        Assert.Equal(1.5, status.InferenceTimeSeconds);
        Assert.Equal(new FalLogEntry("m", "INFO", "2025-01-01T00:00:00Z"), Assert.Single(status.Logs));
    }

    [Fact]
    public async Task Status_RetriesA500_BecauseStatusReadsRetryInternalErrors()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.QueueTime = TimeSpan.FromSeconds(30)));
        var client = TestFal.Queue(fal);
        var submission = await TestFal.SubmitAsync(client);
        fal.State.AddFault(FaultRule.CallHttpError(RequestKind.Status, 500));

        var status = await client.GetStatusAsync(submission.Request);

        Assert.Equal(FalRequestState.InQueue, status.State);
        Assert.Equal(2, fal.State.GetCount(RequestKind.Status));
    }

    [Fact]
    public async Task Status_DoesNotRetryA500_WhenFalSaysItIsNotRetryable()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.InternalServerError, """{"detail":"x"}""", ("X-Fal-Retryable", "false")));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.GetStatusAsync(FalRequest.FromRequestId(TestFal.Endpoint, "r-1", new Uri("https://queue.fal.run"))));

        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        Assert.Equal(1, stub.Calls);
    }

    [Fact]
    public async Task Status_GivesUpAfterMaxAttempts_OnPersistent503()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.QueueTime = TimeSpan.FromSeconds(30)));
        var client = TestFal.Queue(fal, configure: o => o.MaxAttempts = 2);
        var submission = await TestFal.SubmitAsync(client);
        fal.State.AddFault(FaultRule.CallHttpError(RequestKind.Status, 503, count: null));

        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.GetStatusAsync(submission.Request));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
        Assert.Equal(2, fal.State.GetCount(RequestKind.Status));
    }

    [Fact]
    public async Task Status_Retries429_HonouringRetryAfter()
    {
        var time = new RecordingTimeProvider();
        var stub = new StubHandler((_, n) => n == 1
            ? StubHandler.Json(HttpStatusCode.TooManyRequests, """{"detail":"slow down"}""", ("Retry-After", "2"))
            : StubHandler.Json(HttpStatusCode.Accepted, """{"status":"IN_QUEUE","queue_position":0}"""));
        var options = TestFal.Options("https://queue.fal.run", o =>
        {
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            o.RetryMaxDelay = TimeSpan.FromSeconds(10);
        });
        var client = TestFal.Queue(options, stub, time);

        var status = await client.GetStatusAsync(FalRequest.FromRequestId(TestFal.Endpoint, "r-1", options.QueueBaseUrl));

        Assert.Equal(FalRequestState.InQueue, status.State);
        Assert.Equal(2, stub.Calls);
        Assert.Equal(TimeSpan.FromSeconds(2), Assert.Single(time.Delays));
    }

    [Fact]
    public async Task Status_Retries429_CappingRetryAfterAtRetryMaxDelay()
    {
        var time = new RecordingTimeProvider();
        var stub = new StubHandler((_, n) => n == 1
            ? StubHandler.Json(HttpStatusCode.TooManyRequests, """{"detail":"slow down"}""", ("Retry-After", "3600"))
            : StubHandler.Json(HttpStatusCode.Accepted, """{"status":"IN_QUEUE"}"""));
        var options = TestFal.Options("https://queue.fal.run", o =>
        {
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(250);
        });
        var client = TestFal.Queue(options, stub, time);

        await client.GetStatusAsync(FalRequest.FromRequestId(TestFal.Endpoint, "r-1", options.QueueBaseUrl));

        Assert.Equal(2, stub.Calls);
        Assert.Equal(TimeSpan.FromMilliseconds(250), Assert.Single(time.Delays));
    }

    [Fact]
    public async Task Result_ParsesTheVeoOutput()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator());
        var client = TestFal.Queue(fal);
        var submission = await TestFal.SubmitAsync(client);
        await TestFal.WaitCompletedAsync(client, submission.Request);

        var output = await client.GetResultAsync(submission.Request, FalJsonContext.Default.ReferenceToVideoOutput);

        Assert.NotNull(output.Video);
        Assert.StartsWith(fal.BaseUrl + "/files/", output.Video.Url, StringComparison.Ordinal);
        Assert.Equal("video/mp4", output.Video.ContentType);
        Assert.True(output.Video.FileSize > 0);
        Assert.False(string.IsNullOrEmpty(output.Video.FileName));
    }

    [Fact]
    public async Task Result_ThrowsAContentPolicyViolation_WhenTheModelFailed()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.Faults.Add(FaultRule.Generation(FaultKind.GenerationError))));
        var client = TestFal.Queue(fal);
        var submission = await TestFal.SubmitAsync(client);
        var status = await TestFal.WaitCompletedAsync(client, submission.Request);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.GetResultAsync(submission.Request, FalJsonContext.Default.ReferenceToVideoOutput));

        Assert.True(status.IsCompleted); // COMPLETED does not mean success
        Assert.Equal(HttpStatusCode.UnprocessableEntity, ex.StatusCode);
        Assert.True(ex.IsValidationError);
        Assert.True(ex.Error.IsContentPolicyViolation);
        Assert.False(ex.IsTransient);
        Assert.Equal(submission.Request.RequestId, ex.RequestId);
        Assert.Equal("prompt", Assert.Single(ex.Error.Items).Location);
        Assert.Contains("content_policy_violation", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, fal.State.GetCount(RequestKind.Result));
    }

    [Fact]
    public async Task Result_DoesNotRetryA500()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator());
        var client = TestFal.Queue(fal);
        var submission = await TestFal.SubmitAsync(client);
        await TestFal.WaitCompletedAsync(client, submission.Request);
        fal.State.AddFault(FaultRule.CallHttpError(RequestKind.Result, 500));

        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.GetResultAsync(submission.Request, FalJsonContext.Default.ReferenceToVideoOutput));

        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        Assert.Equal(1, fal.State.GetCount(RequestKind.Result));
    }

    [Fact]
    public async Task Result_RetriesA503_AndReturnsTheOutput()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator());
        var client = TestFal.Queue(fal);
        var submission = await TestFal.SubmitAsync(client);
        await TestFal.WaitCompletedAsync(client, submission.Request);
        fal.State.AddFault(FaultRule.CallHttpError(RequestKind.Result, 503));

        var output = await client.GetResultAsync(submission.Request, FalJsonContext.Default.ReferenceToVideoOutput);

        Assert.NotNull(output.Video);
        Assert.Equal(2, fal.State.GetCount(RequestKind.Result));
    }

    [Fact]
    public async Task Cancel_ReturnsCancellationRequested_ForAQueuedRequest()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.QueueTime = TimeSpan.FromSeconds(30)));
        var client = TestFal.Queue(fal);
        var submission = await TestFal.SubmitAsync(client);

        var outcome = await client.CancelAsync(submission.Request);

        Assert.Equal(FalCancelOutcome.CancellationRequested, outcome);
        Assert.Equal(1, fal.State.GetCount(submission.Request.RequestId, RequestKind.Cancel));
    }

    [Fact]
    public async Task Cancel_ReturnsAlreadyCompleted_ForAFinishedRequest()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator());
        var client = TestFal.Queue(fal);
        var submission = await TestFal.SubmitAsync(client);
        await TestFal.WaitCompletedAsync(client, submission.Request);

        var outcome = await client.CancelAsync(submission.Request);

        Assert.Equal(FalCancelOutcome.AlreadyCompleted, outcome);
    }

    [Fact]
    public async Task Cancel_ReturnsNotFound_ForARequestFalDoesNotKnow()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator());
        var client = TestFal.Queue(fal);

        var outcome = await client.CancelAsync(FalRequest.FromRequestId(TestFal.Endpoint, Guid.NewGuid().ToString(), new Uri(fal.BaseUrl)));

        Assert.Equal(FalCancelOutcome.NotFound, outcome);
        Assert.Equal(1, fal.State.GetCount(RequestKind.Cancel));
    }

    [Fact]
    public async Task Cancel_ThrowsForOther400s_RatherThanClaimingCompletion()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.BadRequest, """{"detail":"bad request","error_type":"bad_request"}"""));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.CancelAsync(FalRequest.FromRequestId(TestFal.Endpoint, "r-1", new Uri("https://queue.fal.run"))));

        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Equal(HttpMethod.Put, Assert.Single(stub.Seen).Method);
    }

    [Theory]
    [InlineData(HttpStatusCode.Accepted, """{"status":"CANCELLATION_REQUESTED"}""", FalCancelOutcome.CancellationRequested)]
    [InlineData(HttpStatusCode.Accepted, """{"status":"OK"}""", FalCancelOutcome.CancellationRequested)]
    [InlineData(HttpStatusCode.OK, """{"status":"ALREADY_COMPLETED"}""", FalCancelOutcome.AlreadyCompleted)]
    [InlineData(HttpStatusCode.OK, """{"status":"NOT_FOUND"}""", FalCancelOutcome.NotFound)]
    [InlineData(HttpStatusCode.Accepted, """{"status":"SOMETHING_NEW"}""", FalCancelOutcome.CancellationRequested)]
    [InlineData(HttpStatusCode.Accepted, "", FalCancelOutcome.CancellationRequested)]
    [InlineData(HttpStatusCode.Accepted, "<html>ok</html>", FalCancelOutcome.CancellationRequested)]
    public async Task Cancel_ReadsTheStatusOfA2xxAnswer_AndTakesAnythingElseAsOnlyAsked(HttpStatusCode status, string body, FalCancelOutcome expected)
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(status, body));
        var client = TestFal.Queue(TestFal.Options("https://queue.fal.run"), stub);

        var outcome = await client.CancelAsync(FalRequest.FromRequestId(TestFal.Endpoint, "r-1", new Uri("https://queue.fal.run")));

        Assert.Equal(expected, outcome);
        Assert.Equal(1, stub.Calls);
    }
}
