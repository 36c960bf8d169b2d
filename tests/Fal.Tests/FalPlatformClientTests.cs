using System.Net;
using Fal.Platform;
using Microsoft.Extensions.Time.Testing;

namespace Fal.Tests;

public sealed class FalPlatformClientTests
{
    private const string Base = "https://api.fal.ai/v1";
    private const string AdminKey = "admin:secret";

    private static FalOptions Options(string? adminKey = AdminKey) =>
        TestFal.Options("https://queue.fal.run", o =>
        {
            o.PlatformBaseUrl = new Uri(Base);
            o.AdminKey = adminKey;
        });

    private static async Task<List<T>> AllAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    private static string Query(SeenRequest seen, string name) =>
        System.Web.HttpUtility.ParseQueryString(seen.Uri.Query)[name] ?? "";

    private const string OneRequest = """
        {"items":[{"request_id":"6f1c2d3e-8a9b-4c0d-9e1f-2a3b4c5d6e7f","endpoint_id":"fal-ai/veo3.1/reference-to-video",
          "sent_at":"2026-08-20T09:14:02Z","started_at":"2026-08-20T09:14:31Z","ended_at":"2026-08-20T09:16:55Z","status_code":200,
          "duration":173.1,"json_input":{"prompt":"a cat","image_urls":["https://v3b.fal.media/files/a/ref-1.png"]},
          "json_output":{"video":{"url":"https://v3b.fal.media/files/c/output.mp4"}}}],"next_cursor":null,"has_more":false}
        """;

    [Fact]
    public async Task ListRequests_AsksForTheEndpointWindowAndPayloads_WithTheApiKey_AndMapsEachRecord()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.OK, OneRequest));
        var client = TestFal.Platform(Options(), stub);
        var start = new DateTimeOffset(2026, 8, 20, 11, 0, 0, TimeSpan.FromHours(2));

        var records = await AllAsync(client.ListRequestsByEndpointAsync(TestFal.Endpoint, start, start.AddHours(1.5), withPayloads: true));

        var seen = Assert.Single(stub.Seen);
        Assert.Equal(HttpMethod.Get, seen.Method);
        Assert.Equal(
            "/v1/models/requests/by-endpoint?endpoint_id=fal-ai%2Fveo3.1%2Freference-to-video&start=2026-08-20T09%3A00%3A00Z&end=2026-08-20T10%3A30%3A00Z&expand=payloads&limit=100",
            seen.RawPathAndQuery);
        Assert.Equal("Key k:s", seen.Header("Authorization"));

        var record = Assert.Single(records);
        Assert.Equal("6f1c2d3e-8a9b-4c0d-9e1f-2a3b4c5d6e7f", record.RequestId);
        Assert.Equal(TestFal.Endpoint, record.EndpointId);
        Assert.Equal(new DateTimeOffset(2026, 8, 20, 9, 14, 2, TimeSpan.Zero), record.SentAt);
        Assert.Equal(new DateTimeOffset(2026, 8, 20, 9, 14, 31, TimeSpan.Zero), record.StartedAt);
        Assert.Equal(new DateTimeOffset(2026, 8, 20, 9, 16, 55, TimeSpan.Zero), record.EndedAt);
        Assert.Equal(200, record.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(173.1), record.Duration);
        Assert.Equal("https://v3b.fal.media/files/a/ref-1.png", record.JsonInput!.Value.GetProperty("image_urls")[0].GetString());
        Assert.Equal("https://v3b.fal.media/files/c/output.mp4", record.JsonOutput!.Value.GetProperty("video").GetProperty("url").GetString());
    }

    [Fact]
    public async Task ListRequests_SendsNoEndNorExpand_WhenNotAsked_AndReadsARunningRequest()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.OK, """
            {"items":[{"request_id":"r-1","endpoint_id":"fal-ai/veo3.1/reference-to-video","sent_at":"2026-08-20T09:14:02.25Z",
              "started_at":"2026-08-20T09:14:31Z","ended_at":null,"status_code":null,"duration":null}],"next_cursor":null,"has_more":false}
            """));
        var client = TestFal.Platform(Options(), stub);

        var record = Assert.Single(await AllAsync(client.ListRequestsByEndpointAsync(TestFal.Endpoint, new DateTimeOffset(2026, 8, 20, 9, 0, 0, 500, TimeSpan.Zero), null, withPayloads: false)));

        var seen = Assert.Single(stub.Seen);
        Assert.Equal("2026-08-20T09:00:00.5Z", Query(seen, "start"));
        Assert.Null(System.Web.HttpUtility.ParseQueryString(seen.Uri.Query)["end"]);
        Assert.Null(System.Web.HttpUtility.ParseQueryString(seen.Uri.Query)["expand"]);
        Assert.Null(record.EndedAt);
        Assert.Null(record.StatusCode);
        Assert.Null(record.Duration);
        Assert.Null(record.JsonInput);
        Assert.Equal(TimeSpan.FromMilliseconds(250), record.SentAt - new DateTimeOffset(2026, 8, 20, 9, 14, 2, TimeSpan.Zero));
    }

    [Fact]
    public async Task ListRequests_FollowsNextCursorAsGiven_UntilHasMoreIsFalse()
    {
        var stub = new StubHandler((req, _) => Query(req, "cursor") switch
        {
            "" => StubHandler.Json(HttpStatusCode.OK, """{"items":[{"request_id":"r-1","endpoint_id":"e/a","sent_at":"2026-08-20T09:00:00Z","started_at":"2026-08-20T09:00:01Z"}],"next_cursor":"Mg==/+x","has_more":true}"""),
            "Mg==/+x" => StubHandler.Json(HttpStatusCode.OK, """{"items":[{"request_id":"r-2","endpoint_id":"e/a","sent_at":"2026-08-20T09:01:00Z","started_at":"2026-08-20T09:01:01Z"}],"next_cursor":"ignored","has_more":false}"""),
            var other => throw new InvalidOperationException("unexpected cursor " + other),
        });
        var client = TestFal.Platform(Options(), stub);

        var records = await AllAsync(client.ListRequestsByEndpointAsync("e/a", DateTimeOffset.UnixEpoch, null, withPayloads: false));

        Assert.Equal(["r-1", "r-2"], records.Select(r => r.RequestId));
        var seen = stub.Seen.ToList();
        Assert.Equal(2, seen.Count);
        Assert.EndsWith("&limit=100&cursor=Mg%3D%3D%2F%2Bx", seen[1].RawPathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListRequests_StopsWithAnError_WhenFalRepeatsACursor()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.OK, """{"items":[],"next_cursor":"same","has_more":true}"""));
        var client = TestFal.Platform(Options(), stub);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => AllAsync(client.ListRequestsByEndpointAsync("e/a", DateTimeOffset.UnixEpoch, null, false)));

        Assert.Contains("next_cursor", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, stub.Calls);
    }

    [Fact]
    public async Task ListRequests_RetriesATransientPage_AndGoesOn()
    {
        var stub = new StubHandler((_, call) => call == 1
            ? StubHandler.Json(HttpStatusCode.InternalServerError, """{"error":{"type":"server_error","message":"try again"}}""")
            : StubHandler.Json(HttpStatusCode.OK, OneRequest));
        var client = TestFal.Platform(Options(), stub);

        var records = await AllAsync(client.ListRequestsByEndpointAsync(TestFal.Endpoint, DateTimeOffset.UnixEpoch, null, true));

        Assert.Single(records);
        Assert.Equal(2, stub.Calls);
    }

    [Fact]
    public async Task ListRequests_ThrowsFalsPlatformError_WithoutRetryingA400()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.BadRequest, """{"error":{"type":"validation_error","message":"start must be before end","request_id":"p-9"}}"""));
        var client = TestFal.Platform(Options(), stub);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => AllAsync(client.ListRequestsByEndpointAsync("e/a", DateTimeOffset.UnixEpoch, null, false)));

        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Equal("validation_error", ex.Error.ErrorType);
        Assert.Equal("start must be before end", ex.Error.Message);
        Assert.Equal(1, stub.Calls);
    }

    [Fact]
    public async Task ListRequests_Throws_WhenAnItemLacksARequiredField()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.OK, """{"items":[{"request_id":"r-1","endpoint_id":"e/a","sent_at":"2026-08-20T09:00:00Z"}],"next_cursor":null,"has_more":false}"""));
        var client = TestFal.Platform(Options(), stub);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => AllAsync(client.ListRequestsByEndpointAsync("e/a", DateTimeOffset.UnixEpoch, null, false)));

        Assert.Contains("started_at", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pricing_ReadsExactDecimals_AndPagesThrough()
    {
        var stub = new StubHandler((req, _) => Query(req, "cursor") == ""
            ? StubHandler.Json(HttpStatusCode.OK, """{"prices":[{"endpoint_id":"fal-ai/veo3.1/reference-to-video","unit_price":0.4,"unit":"second","currency":"USD"}],"next_cursor":"p2","has_more":true}""")
            : StubHandler.Json(HttpStatusCode.OK, """{"prices":[{"endpoint_id":"fal-ai/veo3.1/reference-to-video","unit_price":0.6,"unit":"second","currency":"USD"}],"next_cursor":null,"has_more":false}"""));
        var client = TestFal.Platform(Options(), stub);

        var prices = await client.GetPricingAsync(TestFal.Endpoint);

        Assert.Equal(
            [new FalPrice(TestFal.Endpoint, 0.4m, "second", "USD"), new FalPrice(TestFal.Endpoint, 0.6m, "second", "USD")],
            prices);
        var seen = stub.Seen.ToList();
        Assert.Equal("/v1/models/pricing?endpoint_id=fal-ai%2Fveo3.1%2Freference-to-video", seen[0].RawPathAndQuery);
        Assert.Equal("p2", Query(seen[1], "cursor"));
        Assert.Equal("Key k:s", seen[0].Header("Authorization"));
    }

    [Fact]
    public async Task BillingEvents_UseTheAdminKey_AndLookBackEightyNineDays()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.OK, """
            {"billing_events":[{"request_id":"r-1","endpoint_id":"fal-ai/veo3.1/reference-to-video","timestamp":"2026-08-20T09:16:55Z",
              "output_units":8,"unit_price":0.4,"percent_discount":null,"cost_subtotal":3.2,"cost_discount":0,"cost_total":3.2,
              "cost_estimate_nano_usd":3200000000}],"next_cursor":null,"has_more":false}
            """));
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 8, 21, 12, 0, 0, TimeSpan.Zero));
        var client = TestFal.Platform(Options(), stub, time);

        var billed = Assert.Single(await client.GetBillingEventsAsync("r-1"));

        Assert.Equal(new FalBillingEvent("r-1", TestFal.Endpoint, new DateTimeOffset(2026, 8, 20, 9, 16, 55, TimeSpan.Zero), 8m, 0.4m, 3.2m), billed);
        var seen = Assert.Single(stub.Seen);
        Assert.Equal("Key admin:secret", seen.Header("Authorization"));
        Assert.Equal("/v1/models/billing-events", seen.Uri.AbsolutePath);
        Assert.Equal("r-1", Query(seen, "request_id"));
        Assert.Equal("2026-05-24T12:00:00Z", Query(seen, "start"));
        Assert.Equal("100", Query(seen, "limit"));
    }

    [Fact]
    public async Task BillingEvents_FallBackToTheNanoDollarEstimate_OnlyWhenCostTotalIsAbsent_AndPageThrough()
    {
        var stub = new StubHandler((req, _) => Query(req, "cursor") == ""
            ? StubHandler.Json(HttpStatusCode.OK, """{"billing_events":[{"request_id":"r-1","endpoint_id":"e/a","timestamp":"2026-03-01T00:00:00Z","output_units":null,"unit_price":null,"cost_estimate_nano_usd":1880000000}],"next_cursor":"c2","has_more":true}""")
            : StubHandler.Json(HttpStatusCode.OK, """{"billing_events":[{"request_id":"r-1","endpoint_id":"e/a","timestamp":"2026-03-01T00:00:01Z","cost_total":0.5,"cost_estimate_nano_usd":999}],"next_cursor":null,"has_more":false}"""));
        var client = TestFal.Platform(Options(), stub);

        var billed = await client.GetBillingEventsAsync("r-1");

        Assert.Equal([1.88m, 0.5m], billed.Select(b => b.CostTotal));
        Assert.Null(billed[0].OutputUnits);
        Assert.Null(billed[0].UnitPrice);
        Assert.Equal(2, stub.Calls);
    }

    [Fact]
    public async Task BillingEvents_Throw_WhenAnEventStatesNoCostAtAll()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.OK, """{"billing_events":[{"request_id":"r-1","endpoint_id":"e/a","timestamp":"2026-03-01T00:00:00Z"}],"next_cursor":null,"has_more":false}"""));
        var client = TestFal.Platform(Options(), stub);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.GetBillingEventsAsync("r-1"));

        Assert.Contains("cost_total", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(" ")]
    public async Task AdminCalls_ThrowBeforeSendingAnything_WithoutAnAdminKey(string? adminKey)
    {
        var stub = new StubHandler((_, _) => throw new InvalidOperationException("nothing should be sent"));
        var client = TestFal.Platform(Options(adminKey), stub);

        Assert.False(client.HasAdminKey);
        var billing = await Assert.ThrowsAsync<FalAdminKeyRequiredException>(() => client.GetBillingEventsAsync("r-1"));
        var deletion = await Assert.ThrowsAsync<FalAdminKeyRequiredException>(() => client.DeletePayloadsAsync("r-1"));

        Assert.Equal(nameof(FalPlatformClient.GetBillingEventsAsync), billing.Operation);
        Assert.Equal(nameof(FalPlatformClient.DeletePayloadsAsync), deletion.Operation);
        Assert.Contains("Fal:AdminKey", billing.Message, StringComparison.Ordinal);
        Assert.Equal(0, stub.Calls);
    }

    [Fact]
    public async Task DeletePayloads_SendsADeleteWithTheAdminKeyAndTheCallersIdempotencyKey_AndReportsEachFile()
    {
        var stub = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.OK, """
            {"cdn_delete_results":[{"link":"https://v3.fal.media/files/abc123/output.mp4","exception":null},
                                   {"link":"https://v3.fal.media/files/abc123/thumb.png","exception":"File not found"}]}
            """));
        var client = TestFal.Platform(Options(), stub);

        var deletion = await client.DeletePayloadsAsync("r 1/x", "job-42-cleanup");

        var seen = Assert.Single(stub.Seen);
        Assert.Equal(HttpMethod.Delete, seen.Method);
        Assert.Equal("/v1/models/requests/r%201%2Fx/payloads", seen.RawPathAndQuery);
        Assert.Equal("Key admin:secret", seen.Header("Authorization"));
        Assert.Equal("job-42-cleanup", seen.Header("Idempotency-Key"));
        Assert.Equal("r 1/x", deletion.RequestId);
        Assert.Equal(
            [new FalCdnFileDeletion("https://v3.fal.media/files/abc123/output.mp4", null), new FalCdnFileDeletion("https://v3.fal.media/files/abc123/thumb.png", "File not found")],
            deletion.Files);
        Assert.False(deletion.AllFilesDeleted);
        Assert.True(deletion.Files[0].Deleted);
    }

    [Fact]
    public async Task DeletePayloads_RetriesATransientFailure_UnderOneKeyMadeForTheCall()
    {
        var stub = new StubHandler((_, call) => call == 1
            ? StubHandler.Json(HttpStatusCode.ServiceUnavailable, """{"error":{"type":"server_error","message":"busy"}}""")
            : StubHandler.Json(HttpStatusCode.OK, """{"cdn_delete_results":[]}"""));
        var client = TestFal.Platform(Options(), stub);

        var deletion = await client.DeletePayloadsAsync("r-1");
        await client.DeletePayloadsAsync("r-1");

        Assert.True(deletion.AllFilesDeleted);
        var keys = stub.Seen.Select(s => s.Header("Idempotency-Key")).ToList();
        Assert.Equal(3, keys.Count);
        Assert.False(string.IsNullOrWhiteSpace(keys[0]));
        Assert.Equal(keys[0], keys[1]);
        Assert.NotEqual(keys[1], keys[2]);
    }

    [Fact]
    public async Task PlatformCalls_RetryA429_AndHonourTheConfiguredBaseUrl()
    {
        var stub = new StubHandler((_, call) => call == 1
            ? StubHandler.Json(HttpStatusCode.TooManyRequests, """{"error":{"type":"rate_limited","message":"slow down"}}""")
            : StubHandler.Json(HttpStatusCode.OK, """{"prices":[],"next_cursor":null,"has_more":false}"""));
        var options = Options();
        options.PlatformBaseUrl = new Uri("http://127.0.0.1:9502/v1/");
        var client = TestFal.Platform(options, stub);

        Assert.Empty(await client.GetPricingAsync("e/a"));

        Assert.Equal(2, stub.Calls);
        Assert.All(stub.Seen, s => Assert.Equal("http://127.0.0.1:9502/v1/models/pricing?endpoint_id=e%2Fa", s.Uri.AbsoluteUri));
    }

    [Theory]
    [InlineData("2026-08-20T09:14:02+00:00", "2026-08-20T09:14:02Z")]
    [InlineData("2026-08-20T11:14:02+02:00", "2026-08-20T09:14:02Z")]
    [InlineData("2026-08-20T09:14:02.1230000+00:00", "2026-08-20T09:14:02.123Z")]
    public void Iso_WritesUtcWithFractionsOnlyWhenThereAreAny(string instant, string expected) =>
        Assert.Equal(expected, FalPlatformClient.Iso(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture)));
}
