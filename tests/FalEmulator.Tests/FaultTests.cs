using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Testing;

namespace FalEmulator.Tests;

public class FaultTests
{
    [Theory]
    [InlineData(429, false)]
    [InlineData(500, false)]
    [InlineData(503, false)]
    [InlineData(502, true)]
    [InlineData(504, true)]
    public async Task Submit_http_errors_are_not_accepted(int status, bool withHeader)
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        emulator.State.AddFault(FaultRule.SubmitHttpError(status, withHeader));
        using var client = Fal.Client(emulator);
        using var response = await Fal.SubmitAsync(client, Fal.Input());
        Assert.Equal(status, (int)response.StatusCode);
        Assert.NotNull((string?)(await Fal.JsonAsync(response))["detail"]);
        Assert.Equal(withHeader, response.Headers.Contains("x-fal-request-id"));
        Assert.Empty(emulator.State.Submissions);
        if (withHeader)
        {
            var id = response.Headers.GetValues("x-fal-request-id").Single();
            using var status404 = await client.GetAsync($"fal-ai/veo3.1/requests/{id}/status");
            Assert.Equal(HttpStatusCode.NotFound, status404.StatusCode);
        }

        // Count = 1: the next submit is fine.
        using var next = await Fal.SubmitAsync(client, Fal.Input());
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task Accepted_submit_answering_5xx_still_runs_and_bills()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        await using var sink = await WebhookSink.StartAsync();
        emulator.State.AddFault(FaultRule.SubmitAcceptedThenHttpError(503, includeRequestIdHeader: true));
        using var client = Fal.Client(emulator);
        using var response = await Fal.SubmitAsync(client, Fal.Input(), sink.Url);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var id = response.Headers.GetValues("x-fal-request-id").Single();
        var done = await emulator.State.WaitForCompletionAsync(id, Patience.Condition);
        Assert.True(done.Billed);
        Assert.Equal("SubmitAcceptedThenHttpError", done.SubmitFault);
        await Poll.UntilAsync(() => !sink.Received.IsEmpty);
        Assert.Equal("OK", (string?)sink.Received.Single().Json["status"]);
    }

    [Fact]
    public async Task Accepted_submit_with_aborted_connection_still_exists()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        emulator.State.AddFault(FaultRule.SubmitAcceptedThenAbort());
        emulator.State.AddFault(new FaultRule { Kind = FaultKind.Abort, Target = RequestKind.Submit, PromptContains = "not-accepted" });
        using var client = Fal.Client(emulator);
        await Assert.ThrowsAsync<HttpRequestException>(() => Fal.SubmitAsync(client, Fal.Input()));
        var accepted = Assert.Single(emulator.State.Submissions);
        Assert.Equal("SubmitAcceptedThenAbort", accepted.SubmitFault);
        await Assert.ThrowsAsync<HttpRequestException>(() => Fal.SubmitAsync(client, Fal.Input("this is not-accepted")));
        Assert.Single(emulator.State.Submissions);
        Assert.True((await emulator.State.WaitForCompletionAsync(accepted.RequestId, Patience.Condition)).Billed);
    }

    [Fact]
    public async Task Submit_validation_fault_answers_a_422_detail_list()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        emulator.State.AddFault(FaultRule.SubmitValidationError("image_urls", "Too many images", "too_long"));
        using var client = Fal.Client(emulator);
        using var response = await Fal.SubmitAsync(client, Fal.Input());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = (await Fal.JsonAsync(response))["detail"]!.AsArray().Single()!;
        Assert.Equal("[\"body\",\"image_urls\"]", error["loc"]!.ToJsonString());
        Assert.Equal("Too many images", (string?)error["msg"]);
        Assert.Equal("too_long", (string?)error["type"]);
        Assert.Empty(emulator.State.Submissions);
    }

    [Fact]
    public async Task Status_and_result_and_file_answer_transient_errors_n_times()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        using var client = Fal.Client(emulator);
        var submitted = await Fal.SubmitOkAsync(client, Fal.Input("transient please"));
        emulator.State.AddFault(new FaultRule { Kind = FaultKind.HttpError, Target = RequestKind.Status, StatusCode = 429, Count = 2, PromptContains = "transient" });
        emulator.State.AddFault(FaultRule.CallHttpError(RequestKind.Result, 503, count: 1));
        emulator.State.AddFault(FaultRule.CallHttpError(RequestKind.FileGet, 503, count: 1));

        using var first = await client.GetAsync((string)submitted["status_url"]!);
        using var second = await client.GetAsync((string)submitted["status_url"]!);
        Assert.Equal(HttpStatusCode.TooManyRequests, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        await Fal.WaitCompletedAsync(client, (string)submitted["status_url"]!);

        using var failedResult = await client.GetAsync((string)submitted["response_url"]!);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failedResult.StatusCode);
        using var result = await client.GetAsync((string)submitted["response_url"]!);
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        var url = (string)(await Fal.JsonAsync(result))["video"]!["url"]!;
        using var failedFile = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failedFile.StatusCode);
        using var file = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Empty(emulator.State.Faults);
    }

    [Fact]
    public async Task Generation_error_by_prompt_completes_then_result_422_and_webhook_error()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        await using var sink = await WebhookSink.StartAsync();
        emulator.State.AddFault(FaultRule.Generation(FaultKind.GenerationError, promptContains: "forbidden", count: null));
        using var client = Fal.Client(emulator);
        var ok = await Fal.SubmitOkAsync(client, Fal.Input("nice"), sink.Url);
        var bad = await Fal.SubmitOkAsync(client, Fal.Input("something forbidden"), sink.Url);

        var status = await Fal.WaitCompletedAsync(client, (string)bad["status_url"]!);
        Assert.Null(status["error"]);
        using var result = await client.GetAsync((string)bad["response_url"]!);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, result.StatusCode);
        Assert.Equal("content_policy_violation", (string?)(await Fal.JsonAsync(result))["detail"]![0]!["type"]);

        await Poll.UntilAsync(() => sink.Received.Count == 2);
        var hooks = sink.Received.ToDictionary(h => (string)h.Json["request_id"]!, h => h.Json);
        Assert.Equal("OK", (string?)hooks[(string)ok["request_id"]!]["status"]);
        var error = hooks[(string)bad["request_id"]!];
        Assert.Equal("ERROR", (string?)error["status"]);
        Assert.NotNull((string?)error["error"]);
        Assert.Equal("content_policy_violation", (string?)error["payload"]!["detail"]![0]!["type"]);
        Assert.False(emulator.State.GetSubmission((string)bad["request_id"]!)!.Billed);
    }

    [Fact]
    public async Task Runner_disconnected_is_completed_with_error()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        emulator.State.AddFault(FaultRule.Generation(FaultKind.RunnerDisconnected));
        using var client = Fal.Client(emulator);
        var submitted = await Fal.SubmitOkAsync(client, Fal.Input());
        var status = await Fal.WaitCompletedAsync(client, (string)submitted["status_url"]!);
        Assert.Equal("runner_disconnected", (string?)status["error_type"]);
        Assert.NotNull((string?)status["error"]);
        using var result = await client.GetAsync((string)submitted["response_url"]!);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, result.StatusCode);
        Assert.Equal("runner_disconnected", result.Headers.GetValues("X-Fal-Error-Type").Single());
        Assert.Equal("runner_disconnected", (string?)(await Fal.JsonAsync(result))["error_type"]);
    }

    [Fact]
    public async Task Stuck_request_stays_in_progress_until_cancelled_with_stop()
    {
        var options = Fal.FastOptions();
        options.QueueTime = TimeSpan.Zero;
        options.CancelInProgress = CancelInProgressMode.Stop;
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        emulator.State.AddFault(FaultRule.Generation(FaultKind.Stuck));
        using var client = Fal.Client(emulator);
        var submitted = await Fal.SubmitOkAsync(client, Fal.Input());
        await Task.Delay(800);
        using var status = await client.GetAsync((string)submitted["status_url"]!);
        Assert.Equal(HttpStatusCode.Accepted, status.StatusCode);
        Assert.Equal("IN_PROGRESS", (string?)(await Fal.JsonAsync(status))["status"]);
        using var cancel = await client.PutAsync((string)submitted["cancel_url"]!, null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal("client_cancelled", (string?)(await Fal.WaitCompletedAsync(client, (string)submitted["status_url"]!))["error_type"]);
    }

    [Fact]
    public async Task Webhook_faults_drop_duplicate_and_wrong_key()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        await using var sink = await WebhookSink.StartAsync();
        emulator.State.AddFault(new FaultRule { Kind = FaultKind.WebhookDrop, PromptContains = "drop" });
        emulator.State.AddFault(new FaultRule { Kind = FaultKind.WebhookDuplicate, PromptContains = "dup", Deliveries = 3 });
        emulator.State.AddFault(new FaultRule { Kind = FaultKind.WebhookWrongKey, PromptContains = "wrong" });
        using var client = Fal.Client(emulator);
        var drop = (string)(await Fal.SubmitOkAsync(client, Fal.Input("drop"), sink.Url))["request_id"]!;
        var dup = (string)(await Fal.SubmitOkAsync(client, Fal.Input("dup"), sink.Url))["request_id"]!;
        var wrong = (string)(await Fal.SubmitOkAsync(client, Fal.Input("wrong"), sink.Url))["request_id"]!;

        await Poll.UntilAsync(() => sink.Received.Count >= 4);
        await emulator.State.WaitForCompletionAsync(drop, Patience.Condition);
        await Task.Delay(300);
        var jwks = (await client.GetFromJsonAsync<JsonObject>(emulator.JwksUrl))!;
        var byId = sink.Received.GroupBy(h => h.Header("X-Fal-Webhook-Request-Id")!).ToDictionary(g => g.Key, g => g.ToList());
        Assert.False(byId.ContainsKey(drop));
        Assert.Equal(3, byId[dup].Count);
        Assert.All(byId[dup], h => Assert.True(Fal.VerifySignature(jwks, h)));
        Assert.False(Fal.VerifySignature(jwks, byId[wrong].Single()));
        Assert.Contains(emulator.State.WebhookDeliveries, d => d.RequestId == drop && d.Dropped);
    }

    [Fact]
    public async Task Faults_can_be_steered_over_the_http_control_api()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        using var control = new HttpClient { BaseAddress = new Uri(emulator.ControlUrl + "/") };
        using var client = Fal.Client(emulator);

        using var added = await control.PostAsync("faults", new StringContent(
            """{"kind":"submit_accepted_then_http_error","status_code":502,"count":1}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        using var response = await Fal.SubmitAsync(client, Fal.Input());
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.False(response.Headers.Contains("x-fal-request-id"));

        var requests = (await control.GetFromJsonAsync<JsonArray>("requests"))!;
        Assert.Equal("submit_accepted_then_http_error", JsonNamingPolicyName((string)requests.Single()!["submit_fault"]!));
        var counters = (await control.GetFromJsonAsync<JsonObject>("counters"))!;
        Assert.Equal(1, (int)counters["by_kind"]!["submit"]!);

        using var config = await control.PostAsync("config", new StringContent("""{"video_padding_bytes":1000,"queue_time_ms":0}""", Encoding.UTF8, "application/json"));
        Assert.Equal(1000, emulator.State.Options.VideoPaddingBytes);

        using var reset = await control.PostAsync("reset", null);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Empty(emulator.State.Submissions);
        Assert.Equal(0, emulator.State.GetCount(RequestKind.Submit));
        Assert.Equal(0, emulator.State.Options.VideoPaddingBytes);
    }

    [Theory]
    [InlineData(RequestKind.Submit)]
    [InlineData(RequestKind.Status)]
    [InlineData(RequestKind.Result)]
    [InlineData(RequestKind.Cancel)]
    [InlineData(RequestKind.FileGet)]
    [InlineData(RequestKind.UploadInitiate)]
    [InlineData(RequestKind.PlatformRequests)]
    [InlineData(RequestKind.Pricing)]
    [InlineData(RequestKind.BillingEvents)]
    [InlineData(RequestKind.DeletePayloads)]
    public async Task Outage_fails_every_call_of_its_target_for_its_duration_then_ends(RequestKind target)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 8, 20, 9, 0, 0, TimeSpan.Zero));
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FakeClockOptions(time));
        using var client = Fal.Client(emulator);
        var done = await Fal.CompletedAsync(emulator, client, Fal.Input());
        var video = (string)JsonNode.Parse(done.OutputJson!)!["video"]!["url"]!;
        var requestBase = $"fal-ai/veo3.1/requests/{done.RequestId}";
        Func<Task<HttpResponseMessage>> call = target switch
        {
            RequestKind.Submit => () => Fal.SubmitAsync(client, Fal.Input()),
            RequestKind.Status => () => client.GetAsync(requestBase + "/status"),
            RequestKind.Result => () => client.GetAsync(requestBase),
            RequestKind.Cancel => () => client.PutAsync(requestBase + "/cancel", null),
            RequestKind.FileGet => () => client.GetAsync(video),
            RequestKind.UploadInitiate => () => client.PostAsync("storage/upload/initiate?storage_type=fal-cdn-v3", new StringContent("{}")),
            RequestKind.PlatformRequests => () => client.GetAsync("v1/models/requests/by-endpoint?endpoint_id=" + Fal.Endpoint),
            RequestKind.Pricing => () => client.GetAsync("v1/models/pricing?endpoint_id=" + Fal.Endpoint),
            RequestKind.BillingEvents => () => client.GetAsync("v1/models/billing-events?request_id=" + done.RequestId),
            _ => () => client.DeleteAsync($"v1/models/requests/{done.RequestId}/payloads"),
        };
        emulator.State.AddFault(FaultRule.Outage(target, 503, TimeSpan.FromMinutes(5)));

        for (var i = 0; i < 3; i++)
        {
            using var failed = await call();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
            time.Advance(TimeSpan.FromMinutes(1));
        }

        time.Advance(TimeSpan.FromMinutes(2));
        using var after = await call();
        Assert.NotEqual(HttpStatusCode.ServiceUnavailable, after.StatusCode);
        Assert.True((int)after.StatusCode < 500);
        Assert.Empty(emulator.State.Faults);
    }

    [Fact]
    public async Task Outage_added_over_the_control_api_shows_its_end_and_ignores_count()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 8, 20, 9, 0, 0, TimeSpan.Zero));
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FakeClockOptions(time));
        using var control = new HttpClient { BaseAddress = new Uri(emulator.ControlUrl + "/") };
        using var client = Fal.Client(emulator);
        using var added = await control.PostAsync("faults", new StringContent(
            """{"kind":"http_error","target":"status","status_code":502,"count":1,"for":"00:02:00"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        var rule = (await control.GetFromJsonAsync<JsonArray>("faults"))!.Single()!;
        Assert.Equal("2026-08-20T09:02:00+00:00", (string?)rule["active_until"]);

        using var first = await client.GetAsync("fal-ai/veo3.1/requests/x/status");
        using var second = await client.GetAsync("fal-ai/veo3.1/requests/x/status");
        Assert.Equal(HttpStatusCode.BadGateway, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, second.StatusCode);
        time.Advance(TimeSpan.FromMinutes(2));
        using var over = await client.GetAsync("fal-ai/veo3.1/requests/x/status");
        Assert.Equal(HttpStatusCode.NotFound, over.StatusCode);
    }

    [Fact]
    public async Task Stalled_file_get_promises_the_whole_length_sends_the_first_bytes_then_holds_the_connection()
    {
        var options = Fal.FastOptions();
        options.VideoPaddingBytes = 1_000_000;
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        using var client = Fal.Client(emulator);
        var done = await Fal.CompletedAsync(emulator, client, Fal.Input());
        var video = JsonNode.Parse(done.OutputJson!)!["video"]!;
        emulator.State.AddFault(FaultRule.StalledFile(bytes: 100_000));

        using var response = await client.GetAsync((string)video["url"]!, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((long)video["file_size"]!, response.Content.Headers.ContentLength);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[200_000];
        var received = 0;
        while (received < 100_000)
        {
            var read = await body.ReadAsync(buffer.AsMemory(received));
            Assert.NotEqual(0, read);
            received += read;
        }

        Assert.Equal(100_000, received);
        using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(700)); // bounds the proof that nothing more comes
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await body.ReadAtLeastAsync(buffer.AsMemory(received), 1, cancellationToken: wait.Token));

        // Used up: the next GET is whole.
        var bytes = await client.GetByteArrayAsync((string)video["url"]!);
        Assert.Equal((long)video["file_size"]!, bytes.LongLength);
        Assert.Equal(2, emulator.State.GetCount(RequestKind.FileGet));
        Assert.Empty(emulator.State.Faults);
    }

    private static string JsonNamingPolicyName(string pascal) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(pascal);
}
