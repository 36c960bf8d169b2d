using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Testing;

namespace FalEmulator.Tests;

public class PlatformApiTests
{
    private const string ByEndpoint = "v1/models/requests/by-endpoint?endpoint_id=" + Fal.Endpoint;

    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 8, 20, 9, 0, 0, TimeSpan.Zero));

    private static async Task<JsonObject> GetOkAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Fal.JsonAsync(response);
    }

    private static IReadOnlyList<string> Ids(JsonObject page, string array = "items") =>
        page[array]!.AsArray().Select(i => (string)i!["request_id"]!).ToList();

    [Theory]
    [InlineData("v1/models/requests/by-endpoint")]
    [InlineData(ByEndpoint + "&limit=0")]
    [InlineData(ByEndpoint + "&limit=101")]
    [InlineData(ByEndpoint + "&cursor=not-a-cursor")]
    [InlineData(ByEndpoint + "&start=yesterday")]
    [InlineData(ByEndpoint + "&status=failed")]
    [InlineData(ByEndpoint + "&sort_by=prompt")]
    public async Task Listing_refuses_bad_parameters_with_a_platform_validation_error(string url)
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        using var client = Fal.Client(emulator);
        using var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("validation_error", await Fal.PlatformErrorTypeAsync(response));
    }

    [Fact]
    public async Task Listing_needs_a_key_and_answers_in_the_platform_error_shape()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        using var anonymous = Fal.Client(emulator, key: null);
        using var response = await anonymous.GetAsync(ByEndpoint);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("authorization_error", await Fal.PlatformErrorTypeAsync(response));
        Assert.Equal(1, emulator.State.GetCount(RequestKind.PlatformRequests));
    }

    [Fact]
    public async Task Listing_shows_finished_requests_with_their_times_and_payloads_and_pages_by_cursor()
    {
        var time = Clock();
        var options = Fal.FakeClockOptions(time);
        options.DownloadImages = false; // the listed image URLs are never fetched
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        using var client = Fal.Client(emulator);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await Fal.CompletedAsync(emulator, client, Fal.Input($"clip {i}", $"https://cdn.example/{i}-a.png", $"https://cdn.example/{i}-b.png"))).RequestId);
            time.Advance(TimeSpan.FromMinutes(1));
        }

        var first = await GetOkAsync(client, ByEndpoint + "&expand=payloads&limit=2");
        Assert.True((bool)first["has_more"]!);
        var second = await GetOkAsync(client, ByEndpoint + "&expand=payloads&limit=2&cursor=" + Uri.EscapeDataString((string)first["next_cursor"]!));
        Assert.False((bool)second["has_more"]!);
        Assert.Null(second["next_cursor"]);
        Assert.Equal(ids.AsEnumerable().Reverse(), Ids(first).Concat(Ids(second))); // newest ended first

        var oldest = second["items"]!.AsArray().Single()!;
        Assert.Equal(Fal.Endpoint, (string?)oldest["endpoint_id"]);
        Assert.Equal(200, (int)oldest["status_code"]!);
        Assert.Equal("2026-08-20T09:00:00Z", (string?)oldest["sent_at"]);
        Assert.Equal("2026-08-20T09:00:00Z", (string?)oldest["started_at"]);
        Assert.Equal("2026-08-20T09:00:00Z", (string?)oldest["ended_at"]);
        Assert.Equal(0, (double)oldest["duration"]!);
        Assert.Equal("""["https://cdn.example/0-a.png","https://cdn.example/0-b.png"]""", oldest["json_input"]!["image_urls"]!.ToJsonString());
        Assert.StartsWith(emulator.BaseUrl + "/files/", (string)oldest["json_output"]!["video"]!["url"]!, StringComparison.Ordinal);

        var plain = (await GetOkAsync(client, ByEndpoint))["items"]!.AsArray()[0]!.AsObject();
        Assert.False(plain.ContainsKey("json_input"));
        Assert.False(plain.ContainsKey("json_output"));
        Assert.Empty(Ids(await GetOkAsync(client, "v1/models/requests/by-endpoint?endpoint_id=fal-ai/other/model")));
    }

    [Fact]
    public async Task Listing_filters_by_status_class_and_request_id_and_sorts_by_duration()
    {
        var time = Clock();
        var options = Fal.FakeClockOptions(time);
        options.MaxConcurrentRequests = 1;
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        emulator.State.AddFault(FaultRule.Generation(FaultKind.GenerationError, promptContains: "refused"));
        emulator.State.AddFault(FaultRule.Generation(FaultKind.RunnerDisconnected, promptContains: "crash"));
        using var client = Fal.Client(emulator);
        var ok = (await Fal.CompletedAsync(emulator, client, Fal.Input("fine"))).RequestId;
        var refused = (await Fal.CompletedAsync(emulator, client, Fal.Input("refused"))).RequestId;
        var crashed = (await Fal.CompletedAsync(emulator, client, Fal.Input("crash"))).RequestId;
        time.Advance(TimeSpan.FromSeconds(1)); // the default end (now) is exclusive

        Assert.Equal([ok], Ids(await GetOkAsync(client, ByEndpoint + "&status=success")));
        Assert.Equal([refused], Ids(await GetOkAsync(client, ByEndpoint + "&status=user_error")));
        Assert.Equal([crashed], Ids(await GetOkAsync(client, ByEndpoint + "&status=error")));
        Assert.Equal(2, Ids(await GetOkAsync(client, ByEndpoint + "&status=success,error")).Count);
        Assert.Equal([refused], Ids(await GetOkAsync(client, ByEndpoint + "&request_id=" + refused)));
        var failed = (await GetOkAsync(client, ByEndpoint + "&request_id=" + refused + "&expand=payloads"))["items"]![0]!;
        Assert.Equal(422, (int)failed["status_code"]!);
        Assert.Equal("content_policy_violation", (string?)failed["json_output"]!["detail"]![0]!["type"]);
        Assert.Equal(3, Ids(await GetOkAsync(client, ByEndpoint + "&sort_by=duration")).Count);
    }

    [Fact]
    public async Task Listing_window_filters_on_ended_at_end_exclusive_and_a_request_id_widens_the_default_start_to_90_days()
    {
        var time = Clock();
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FakeClockOptions(time));
        using var client = Fal.Client(emulator);
        var id = (await Fal.CompletedAsync(emulator, client, Fal.Input())).RequestId;

        Assert.Empty(Ids(await GetOkAsync(client, ByEndpoint + "&end=2026-08-20T09:00:00Z")));
        Assert.Equal([id], Ids(await GetOkAsync(client, ByEndpoint + "&start=2026-08-20T09:00:00Z&end=2026-08-20T09:00:01Z")));
        time.Advance(TimeSpan.FromDays(2));
        Assert.Empty(Ids(await GetOkAsync(client, ByEndpoint)));
        Assert.Equal([id], Ids(await GetOkAsync(client, ByEndpoint + "&request_id=" + id)));
        Assert.Equal([id], Ids(await GetOkAsync(client, ByEndpoint + "&start=2026-08-20&end=2026-08-21")));
        Assert.Empty(Ids(await GetOkAsync(client, ByEndpoint + "&start=2026-08-19&end=2026-08-20")));
        time.Advance(TimeSpan.FromDays(89));
        Assert.Empty(Ids(await GetOkAsync(client, ByEndpoint + "&request_id=" + id)));
    }

    [Fact]
    public async Task Listing_never_shows_queued_requests_and_shows_running_ones_only_in_started_mode()
    {
        var options = Fal.FastOptions();
        options.QueueTime = TimeSpan.Zero;
        options.MaxConcurrentRequests = 1;
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        emulator.State.AddFault(FaultRule.Generation(FaultKind.Stuck));
        using var client = Fal.Client(emulator);
        var running = (string)(await Fal.RunningAsync(emulator, client, Fal.Input("running")))["request_id"]!;
        await Fal.SubmitOkAsync(client, Fal.Input("queued"));

        Assert.Empty(Ids(await GetOkAsync(client, ByEndpoint)));

        using var config = await Fal.ControlAsync(emulator, "config", """{"platform_listing":"started"}""");
        Assert.Equal(HttpStatusCode.OK, config.StatusCode);
        var item = (await GetOkAsync(client, ByEndpoint))["items"]!.AsArray().Single()!;
        Assert.Equal(running, (string?)item["request_id"]);
        Assert.NotNull((string?)item["started_at"]);
        Assert.Null(item["ended_at"]);
        Assert.Null(item["status_code"]);
        Assert.Null(item["duration"]);
    }

    [Fact]
    public async Task Pricing_answers_the_configured_unit_price_per_second_in_usd()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        using var client = Fal.Client(emulator);
        var prices = await GetOkAsync(client, "v1/models/pricing?endpoint_id=" + Fal.Endpoint);
        Assert.Equal(
            """{"prices":[{"endpoint_id":"fal-ai/veo3.1/reference-to-video","unit_price":0.4,"unit":"second","currency":"USD"}],"next_cursor":null,"has_more":false}""",
            prices.ToJsonString());

        using var config = await Fal.ControlAsync(emulator, "config", """{"unit_price":0.35}""");
        Assert.Equal(0.35m, (decimal)(await GetOkAsync(client, "v1/models/pricing?endpoint_id=" + Fal.Endpoint))["prices"]![0]!["unit_price"]!);

        using var missing = await client.GetAsync("v1/models/pricing");
        Assert.Equal("validation_error", await Fal.PlatformErrorTypeAsync(missing));
        using var unknown = await client.GetAsync("v1/models/pricing?endpoint_id=fal-ai/unknown");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("not_found", await Fal.PlatformErrorTypeAsync(unknown));
        Assert.Equal(4, emulator.State.GetCount(RequestKind.Pricing));
    }

    [Theory]
    [InlineData("720p", true, 0.4, 3.2)]
    [InlineData("1080p", true, 0.4, 3.2)]
    [InlineData("1080p", false, 0.2, 1.6)]
    [InlineData("4k", true, 0.6, 4.8)]
    [InlineData("4k", false, 0.4, 3.2)]
    [InlineData(null, null, 0.4, 3.2)]
    public async Task Billing_event_costs_eight_seconds_at_the_rate_of_resolution_and_audio(string? resolution, bool? audio, double rate, double total)
    {
        var time = Clock();
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FakeClockOptions(time));
        using var client = Fal.Client(emulator);
        var input = Fal.Input();
        input.Remove("resolution");
        input.Remove("generate_audio");
        if (resolution is not null)
        {
            input["resolution"] = resolution;
        }

        if (audio is not null)
        {
            input["generate_audio"] = audio;
        }

        var done = await Fal.CompletedAsync(emulator, client, input);
        time.Advance(TimeSpan.FromSeconds(1));
        var page = await GetOkAsync(client, "v1/models/billing-events?request_id=" + done.RequestId);

        var billed = page["billing_events"]!.AsArray().Single()!;
        Assert.Equal(done.RequestId, (string?)billed["request_id"]);
        Assert.Equal(Fal.Endpoint, (string?)billed["endpoint_id"]);
        Assert.Equal("2026-08-20T09:00:00Z", (string?)billed["timestamp"]);
        Assert.Equal(8, (int)billed["output_units"]!);
        Assert.Equal((decimal)rate, (decimal)billed["unit_price"]!);
        Assert.Null(billed["percent_discount"]);
        Assert.Equal((decimal)total, (decimal)billed["cost_subtotal"]!);
        Assert.Equal(0m, (decimal)billed["cost_discount"]!);
        Assert.Equal((decimal)total, (decimal)billed["cost_total"]!);
        Assert.Equal((long)((decimal)total * 1_000_000_000m), (long)billed["cost_estimate_nano_usd"]!);
        Assert.False((bool)page["has_more"]!);
        Assert.Null(page["next_cursor"]);
        Assert.Equal((decimal)total, done.CostUsd);
    }

    [Fact]
    public async Task Billing_events_list_finished_requests_a_signalled_cancel_included_but_not_failed_or_removed_ones()
    {
        var options = Fal.FastOptions();
        options.QueueTime = TimeSpan.Zero;
        options.GenerationTime = TimeSpan.FromMilliseconds(800);
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        emulator.State.AddFault(FaultRule.Generation(FaultKind.RunnerDisconnected, promptContains: "crash"));
        using var client = Fal.Client(emulator);
        var crashed = (await Fal.CompletedAsync(emulator, client, Fal.Input("crash"))).RequestId;

        var signalled = await Fal.RunningAsync(emulator, client, Fal.Input("cancel me"));
        var signalledId = (string)signalled["request_id"]!;
        await Fal.CancelRequestedAsync(client, signalled);

        emulator.State.Options.QueueTime = TimeSpan.FromSeconds(30);
        var queued = await Fal.SubmitOkAsync(client, Fal.Input("never starts"));
        await Fal.CancelRequestedAsync(client, queued);

        await emulator.State.WaitForCompletionAsync(signalledId, Patience.Condition);
        await emulator.State.WaitForCompletionAsync((string)queued["request_id"]!, Patience.Condition);
        var events = await GetOkAsync(client, "v1/models/billing-events");
        Assert.Equal([signalledId], Ids(events, "billing_events"));
        Assert.Empty(Ids(await GetOkAsync(client, "v1/models/billing-events?request_id=" + crashed), "billing_events"));
    }

    [Fact]
    public async Task Billing_event_appears_only_the_billing_delay_after_completion()
    {
        var time = Clock();
        var options = Fal.FakeClockOptions(time);
        options.BillingDelay = TimeSpan.FromMinutes(10);
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        using var client = Fal.Client(emulator);
        var id = (await Fal.CompletedAsync(emulator, client, Fal.Input())).RequestId;
        var url = "v1/models/billing-events?request_id=" + id;

        Assert.Empty(Ids(await GetOkAsync(client, url), "billing_events"));
        time.Advance(TimeSpan.FromMinutes(9));
        Assert.Empty(Ids(await GetOkAsync(client, url), "billing_events"));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([id], Ids(await GetOkAsync(client, url), "billing_events"));
    }

    [Fact]
    public async Task Billing_events_page_by_cursor_and_refuse_a_range_over_90_days()
    {
        var time = Clock();
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FakeClockOptions(time));
        using var client = Fal.Client(emulator);
        for (var i = 0; i < 3; i++)
        {
            await Fal.CompletedAsync(emulator, client, Fal.Input());
        }

        time.Advance(TimeSpan.FromSeconds(1));

        var first = await GetOkAsync(client, "v1/models/billing-events?limit=2");
        var second = await GetOkAsync(client, "v1/models/billing-events?limit=2&cursor=" + Uri.EscapeDataString((string)first["next_cursor"]!));
        Assert.Equal(3, Ids(first, "billing_events").Concat(Ids(second, "billing_events")).Distinct().Count());
        using var tooLong = await client.GetAsync("v1/models/billing-events?start=2026-01-01&end=2026-08-20");
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("validation_error", await Fal.PlatformErrorTypeAsync(tooLong));
    }

    [Fact]
    public async Task Admin_key_alone_reaches_billing_events_and_payload_deletion_and_works_everywhere_else_too()
    {
        var time = Clock();
        var options = Fal.FakeClockOptions(time);
        options.ExpectedKey = "api:key";
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        using var config = await Fal.ControlAsync(emulator, "config", """{"admin_key":"admin:key"}""");
        Assert.Equal("admin:key", (string?)(await Fal.JsonAsync(config))["admin_key"]);
        using var api = Fal.Client(emulator, "api:key");
        using var admin = Fal.Client(emulator, "admin:key");
        var id = (await Fal.CompletedAsync(emulator, api, Fal.Input())).RequestId;
        time.Advance(TimeSpan.FromSeconds(1));

        using var billingWithApiKey = await api.GetAsync("v1/models/billing-events?request_id=" + id);
        using var deleteWithApiKey = await api.DeleteAsync($"v1/models/requests/{id}/payloads");
        Assert.Equal(HttpStatusCode.Forbidden, billingWithApiKey.StatusCode);
        Assert.Equal("authorization_error", await Fal.PlatformErrorTypeAsync(billingWithApiKey));
        Assert.Equal(HttpStatusCode.Forbidden, deleteWithApiKey.StatusCode);
        Assert.Equal("authorization_error", await Fal.PlatformErrorTypeAsync(deleteWithApiKey));
        Assert.Null(emulator.State.GetSubmission(id)!.PayloadsDeletedAt);

        Assert.Equal([id], Ids(await GetOkAsync(admin, "v1/models/billing-events?request_id=" + id), "billing_events"));
        Assert.Equal([id], Ids(await GetOkAsync(api, ByEndpoint)));
        Assert.Equal([id], Ids(await GetOkAsync(admin, ByEndpoint)));
        using var status = await admin.GetAsync($"fal-ai/veo3.1/requests/{id}/status");
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        using var deleted = await admin.DeleteAsync($"v1/models/requests/{id}/payloads");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
    }

    [Fact]
    public async Task Deleting_payloads_removes_the_output_file_and_payloads_but_keeps_the_inputs()
    {
        var time = Clock();
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FakeClockOptions(time));
        using var client = Fal.Client(emulator);
        var reference = await Fal.UploadAsync(client, Convert.FromBase64String("iVBORw0KGgo="));
        var done = await Fal.CompletedAsync(emulator, client, Fal.Input("archive me", reference));
        var video = (string)JsonNode.Parse(done.OutputJson!)!["video"]!["url"]!;
        time.Advance(TimeSpan.FromSeconds(1));

        using var delete = new HttpRequestMessage(HttpMethod.Delete, $"v1/models/requests/{done.RequestId}/payloads");
        delete.Headers.Add("Idempotency-Key", "cleanup-1");
        using var response = await client.SendAsync(delete);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Fal.JsonAsync(response);
        Assert.Equal(new JsonObject { ["cdn_delete_results"] = new JsonArray(new JsonObject { ["link"] = video, ["exception"] = null }) }.ToJsonString(), body.ToJsonString());
        using var anonymous = new HttpClient();
        using var videoGet = await anonymous.GetAsync(video);
        Assert.Equal(HttpStatusCode.NotFound, videoGet.StatusCode);
        using var referenceGet = await anonymous.GetAsync(reference);
        Assert.Equal(HttpStatusCode.OK, referenceGet.StatusCode);
        using var result = await client.GetAsync($"fal-ai/veo3.1/requests/{done.RequestId}");
        Assert.Equal(HttpStatusCode.NotFound, result.StatusCode);
        var item = (await GetOkAsync(client, ByEndpoint + "&expand=payloads"))["items"]![0]!.AsObject();
        Assert.True(item.ContainsKey("json_input") && item["json_input"] is null);
        Assert.True(item.ContainsKey("json_output") && item["json_output"] is null);
        Assert.NotNull(emulator.State.GetSubmission(done.RequestId)!.PayloadsDeletedAt);
        Assert.True(emulator.State.StoredFiles.Single(f => video.Contains(f.Id, StringComparison.Ordinal)).Deleted);

        // The same Idempotency-Key replays the first answer; without one there is nothing left to delete.
        using var replay = new HttpRequestMessage(HttpMethod.Delete, $"v1/models/requests/{done.RequestId}/payloads");
        replay.Headers.Add("Idempotency-Key", "cleanup-1");
        using var replayed = await client.SendAsync(replay);
        Assert.Equal(body.ToJsonString(), (await Fal.JsonAsync(replayed)).ToJsonString());
        using var again = await client.DeleteAsync($"v1/models/requests/{done.RequestId}/payloads");
        Assert.Equal("""{"cdn_delete_results":[]}""", (await Fal.JsonAsync(again)).ToJsonString());
        Assert.Equal(3, emulator.State.GetCount(done.RequestId, RequestKind.DeletePayloads));
    }

    [Fact]
    public async Task Deleting_payloads_of_an_unknown_or_unfinished_request_is_refused()
    {
        var options = Fal.FastOptions();
        options.QueueTime = TimeSpan.FromSeconds(30);
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        using var client = Fal.Client(emulator);
        var queued = (string)(await Fal.SubmitOkAsync(client, Fal.Input()))["request_id"]!;

        using var unknown = await client.DeleteAsync($"v1/models/requests/{Guid.NewGuid()}/payloads");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("not_found", await Fal.PlatformErrorTypeAsync(unknown));
        using var unfinished = await client.DeleteAsync($"v1/models/requests/{queued}/payloads");
        Assert.Equal(HttpStatusCode.BadRequest, unfinished.StatusCode);
        Assert.Equal("validation_error", await Fal.PlatformErrorTypeAsync(unfinished));
        Assert.Null(emulator.State.GetSubmission(queued)!.PayloadsDeletedAt);
    }

    [Fact]
    public async Task Platform_calls_take_http_error_and_abort_faults_in_the_platform_shape_and_are_counted()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        using var added = await Fal.ControlAsync(emulator, "faults", """{"kind":"http_error","target":"billing_events","status_code":429,"count":1}""");
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        emulator.State.AddFault(FaultRule.CallHttpError(RequestKind.PlatformRequests, 500));
        emulator.State.AddFault(new FaultRule { Kind = FaultKind.Abort, Target = RequestKind.Pricing, Count = 1 });
        emulator.State.AddFault(FaultRule.CallHttpError(RequestKind.DeletePayloads, 503));
        using var client = Fal.Client(emulator);

        using var limited = await client.GetAsync("v1/models/billing-events");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("rate_limited", await Fal.PlatformErrorTypeAsync(limited));
        using var broken = await client.GetAsync(ByEndpoint);
        Assert.Equal(HttpStatusCode.InternalServerError, broken.StatusCode);
        Assert.Equal("server_error", await Fal.PlatformErrorTypeAsync(broken));
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("v1/models/pricing?endpoint_id=" + Fal.Endpoint));
        using var unavailable = await client.DeleteAsync($"v1/models/requests/{Guid.NewGuid()}/payloads");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Equal("server_error", await Fal.PlatformErrorTypeAsync(unavailable));

        using var control = new HttpClient();
        var counters = (await control.GetFromJsonAsync<JsonObject>(emulator.ControlUrl + "/counters"))!["by_kind"]!;
        Assert.Equal(1, (int)counters["platform_requests"]!);
        Assert.Equal(1, (int)counters["pricing"]!);
        Assert.Equal(1, (int)counters["billing_events"]!);
        Assert.Equal(1, (int)counters["delete_payloads"]!);
        Assert.Empty(emulator.State.Faults);
    }
}
