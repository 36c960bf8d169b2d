using System.Net;
using System.Text.Json.Nodes;
using VeoFunctions.Testing;

namespace FalEmulator.Tests;

public class QueueProtocolTests
{
    [Fact]
    public async Task Submit_status_result_follow_the_fal_queue_protocol()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        using var client = Fal.Client(emulator);
        // Held in generation until the "still in progress" answers are seen, however slow the machine.
        emulator.State.AddFault(FaultRule.Generation(FaultKind.Held));

        using var submit = await Fal.SubmitAsync(client, Fal.Input());
        Assert.Equal(HttpStatusCode.OK, submit.StatusCode);
        var body = await Fal.JsonAsync(submit);
        var id = (string)body["request_id"]!;
        Assert.Equal(id, submit.Headers.GetValues("x-fal-request-id").Single());
        Assert.Equal("IN_QUEUE", (string?)body["status"]);
        Assert.Equal(0, (int)body["queue_position"]!);
        Assert.Equal(id, (string?)body["gateway_request_id"]);
        var requestBase = $"{emulator.BaseUrl}/fal-ai/veo3.1/requests/{id}";
        Assert.Equal(requestBase, (string?)body["response_url"]);
        Assert.Equal(requestBase + "/status", (string?)body["status_url"]);
        Assert.Equal(requestBase + "/cancel", (string?)body["cancel_url"]);
        Assert.DoesNotContain("reference-to-video", (string)body["status_url"]!, StringComparison.Ordinal);

        using var early = await client.GetAsync((string)body["status_url"]! + "?logs=1");
        Assert.Equal(HttpStatusCode.Accepted, early.StatusCode);
        var earlyBody = await Fal.JsonAsync(early);
        Assert.Contains((string?)earlyBody["status"], new[] { "IN_QUEUE", "IN_PROGRESS" });
        Assert.Equal(requestBase, (string?)earlyBody["response_url"]);

        using var notYet = await client.GetAsync((string)body["response_url"]!);
        Assert.Equal(HttpStatusCode.BadRequest, notYet.StatusCode);
        Assert.Equal("Request is still in progress", (string?)(await Fal.JsonAsync(notYet))["detail"]);
        emulator.State.ReleaseHeld();

        var done = await Fal.WaitCompletedAsync(client, (string)body["status_url"]!);
        Assert.True((double)done["metrics"]!["inference_time"]! > 0);
        var logs = done["logs"]!.AsArray();
        Assert.NotEmpty(logs);
        Assert.All(logs, l => Assert.NotNull((string?)l!["message"]));
        Assert.All(logs, l => Assert.NotNull((string?)l!["timestamp"]));
        Assert.Null(done["error"]);

        using var noLogs = await client.GetAsync((string)body["status_url"]! + "?logs=0");
        Assert.Null((await Fal.JsonAsync(noLogs))["logs"]);

        using var result = await client.GetAsync((string)body["response_url"]!);
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal(id, result.Headers.GetValues("x-fal-request-id").Single());
        var output = await Fal.JsonAsync(result);
        var video = output["video"]!;
        Assert.Single(output);
        Assert.StartsWith(emulator.BaseUrl + "/files/", (string)video["url"]!, StringComparison.Ordinal);
        Assert.Equal("video/mp4", (string?)video["content_type"]);
        Assert.Equal("output.mp4", (string?)video["file_name"]);

        using var file = await new HttpClient().GetAsync((string)video["url"]!); // no key needed
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("video/mp4", file.Content.Headers.ContentType!.MediaType);
        var bytes = await file.Content.ReadAsByteArrayAsync();
        Assert.Equal((long)video["file_size"]!, bytes.LongLength);
        Assert.Equal("ftyp", System.Text.Encoding.ASCII.GetString(bytes, 4, 4));

        var submission = Assert.Single(emulator.State.Submissions);
        Assert.True(submission.Billed);
        Assert.Equal(1, emulator.State.GetCount(id, RequestKind.Submit));
        Assert.Equal(2, emulator.State.GetCount(id, RequestKind.Result));
        Assert.Equal(1, emulator.State.GetCount(RequestKind.FileGet));
    }

    [Fact]
    public async Task Urls_with_the_path_segment_are_not_found()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        using var client = Fal.Client(emulator);
        var id = (string)(await Fal.SubmitOkAsync(client, Fal.Input()))["request_id"]!;
        using var wrong = await client.GetAsync($"fal-ai/veo3.1/reference-to-video/requests/{id}/status");
        Assert.Equal(HttpStatusCode.NotFound, wrong.StatusCode);
        using var unknownApp = await Fal.SubmitAsync(client, Fal.Input(), configure: m => m.RequestUri = new Uri("fal-ai/other-model", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, unknownApp.StatusCode);
        Assert.NotNull((string?)(await Fal.JsonAsync(unknownApp))["detail"]);
    }

    [Fact]
    public async Task Queue_calls_and_initiate_require_a_key_but_uploads_and_files_do_not()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        using var anonymous = Fal.Client(emulator, key: null);
        using var submit = await Fal.SubmitAsync(anonymous, Fal.Input());
        Assert.Equal(HttpStatusCode.Unauthorized, submit.StatusCode);
        Assert.NotNull((string?)(await Fal.JsonAsync(submit))["detail"]);
        using var status = await anonymous.GetAsync("fal-ai/veo3.1/requests/x/status");
        Assert.Equal(HttpStatusCode.Unauthorized, status.StatusCode);
        using var initiate = await anonymous.PostAsync("storage/upload/initiate?storage_type=fal-cdn-v3", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.Unauthorized, initiate.StatusCode);
        using var cancel = await anonymous.PutAsync("fal-ai/veo3.1/requests/x/cancel", null);
        Assert.Equal(HttpStatusCode.Unauthorized, cancel.StatusCode);
        Assert.Empty(emulator.State.Submissions);

        emulator.State.Options.ExpectedKey = "right:key";
        using var wrongKey = Fal.Client(emulator, "wrong:key");
        using var rejected = await Fal.SubmitAsync(wrongKey, Fal.Input());
        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        using var rightKey = Fal.Client(emulator, "right:key");
        using var accepted = await Fal.SubmitAsync(rightKey, Fal.Input());
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Cancel_answers_requested_already_completed_and_not_found()
    {
        var options = Fal.FastOptions();
        options.QueueTime = TimeSpan.FromSeconds(5);
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        using var client = Fal.Client(emulator);
        await using var sink = await WebhookSink.StartAsync();
        var submitted = await Fal.SubmitOkAsync(client, Fal.Input(), sink.Url);

        using var cancel = await client.PutAsync((string)submitted["cancel_url"]!, null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal("CANCELLATION_REQUESTED", (string?)(await Fal.JsonAsync(cancel))["status"]);

        var done = await Fal.WaitCompletedAsync(client, (string)submitted["status_url"]!);
        Assert.Equal("client_cancelled", (string?)done["error_type"]);
        using var result = await client.GetAsync((string)submitted["response_url"]!);
        Assert.Equal(499, (int)result.StatusCode);

        using var again = await client.PutAsync((string)submitted["cancel_url"]!, null);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal("ALREADY_COMPLETED", (string?)(await Fal.JsonAsync(again))["status"]);

        using var missing = await client.PutAsync("fal-ai/veo3.1/requests/does-not-exist/cancel", null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("NOT_FOUND", (string?)(await Fal.JsonAsync(missing))["status"]);

        await Poll.UntilAsync(() => !sink.Received.IsEmpty);
        Assert.Equal("ERROR", (string?)sink.Received.Single().Json["status"]);
        Assert.False(emulator.State.Submissions.Single().Billed);
    }

    [Fact]
    public async Task Invalid_input_is_accepted_and_fails_when_it_runs_by_default_or_at_submit_when_configured()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        using var client = Fal.Client(emulator);
        var input = Fal.Input();
        input.Remove("image_urls");
        input["resolution"] = "8k";
        var submitted = await Fal.SubmitOkAsync(client, input);
        await Fal.WaitCompletedAsync(client, (string)submitted["status_url"]!);
        using var result = await client.GetAsync((string)submitted["response_url"]!);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, result.StatusCode);
        var detail = (await Fal.JsonAsync(result))["detail"]!.AsArray();
        Assert.Contains(detail, d => d!["loc"]!.ToJsonString() == "[\"body\",\"image_urls\"]" && (string?)d["type"] == "missing");
        Assert.Contains(detail, d => d!["loc"]!.ToJsonString() == "[\"body\",\"resolution\"]" && (string?)d["type"] == "literal_error");

        emulator.State.Options.ValidateInputAtSubmit = true;
        var bad = Fal.Input();
        bad["image_urls"] = new JsonArray();
        bad["safety_tolerance"] = "7";
        bad["seed"] = "x";
        using var rejected = await Fal.SubmitAsync(client, bad);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, rejected.StatusCode);
        var types = (await Fal.JsonAsync(rejected))["detail"]!.AsArray().Select(d => (string?)d!["type"]).ToList();
        Assert.Equal(new[] { "too_short", "int_type", "literal_error" }, types);
        Assert.Single(emulator.State.Submissions);
    }

    [Fact]
    public async Task Unreachable_image_fails_with_file_download_error()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        using var client = Fal.Client(emulator);
        var submitted = await Fal.SubmitOkAsync(client, Fal.Input("x", emulator.BaseUrl + "/files/nope/ref.png"));
        await Fal.WaitCompletedAsync(client, (string)submitted["status_url"]!);
        using var result = await client.GetAsync((string)submitted["response_url"]!);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, result.StatusCode);
        var error = (await Fal.JsonAsync(result))["detail"]!.AsArray().Single()!;
        Assert.Equal("file_download_error", (string?)error["type"]);
        Assert.Equal("[\"body\",\"image_urls\",0]", error["loc"]!.ToJsonString());
    }

    [Fact]
    public async Task Start_deadline_expiry_completes_with_a_user_timeout_504()
    {
        var options = Fal.FastOptions();
        options.QueueTime = TimeSpan.FromSeconds(3);
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        using var client = Fal.Client(emulator);
        using var submit = await Fal.SubmitAsync(client, Fal.Input(), configure: m => m.Headers.Add("x-fal-request-timeout", "0.2"));
        var submitted = await Fal.JsonAsync(submit);
        var done = await Fal.WaitCompletedAsync(client, (string)submitted["status_url"]!);
        Assert.Equal("request_timeout", (string?)done["error_type"]);
        using var result = await client.GetAsync((string)submitted["response_url"]!);
        Assert.Equal(HttpStatusCode.GatewayTimeout, result.StatusCode);
        Assert.Equal("user", result.Headers.GetValues("x-fal-request-timeout-type").Single());
    }

    [Fact]
    public async Task Excess_requests_wait_in_queue_with_positions_and_normal_priority_first()
    {
        var options = Fal.FastOptions();
        options.QueueTime = TimeSpan.Zero;
        options.GenerationTime = TimeSpan.FromMilliseconds(600);
        options.MaxConcurrentRequests = 1;
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        using var client = Fal.Client(emulator);
        var first = await Fal.SubmitOkAsync(client, Fal.Input("first"));
        await Poll.UntilAsync(() => emulator.State.GetSubmission((string)first["request_id"]!)!.Status == "IN_PROGRESS");
        using var lowResponse = await Fal.SubmitAsync(client, Fal.Input("low"), configure: m => m.Headers.Add("x-fal-queue-priority", "low"));
        var low = await Fal.JsonAsync(lowResponse);
        var normal = await Fal.SubmitOkAsync(client, Fal.Input("normal"));

        using var lowStatus = await client.GetAsync((string)low["status_url"]!);
        var lowBody = await Fal.JsonAsync(lowStatus);
        Assert.Equal("IN_QUEUE", (string?)lowBody["status"]);
        Assert.Equal(1, (int)lowBody["queue_position"]!);
        using var normalStatus = await client.GetAsync((string)normal["status_url"]!);
        Assert.Equal(0, (int)(await Fal.JsonAsync(normalStatus))["queue_position"]!);

        await Fal.WaitCompletedAsync(client, (string)low["status_url"]!);
        var infos = emulator.State.Submissions;
        Assert.True(infos.Single(s => s.RequestId == (string)normal["request_id"]!).StartedAt < infos.Single(s => s.RequestId == (string)low["request_id"]!).StartedAt);
    }
}
