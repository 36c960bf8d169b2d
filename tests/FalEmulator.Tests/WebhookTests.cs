using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Testing;

namespace FalEmulator.Tests;

public class WebhookTests
{
    [Fact]
    public async Task Webhook_arrives_signed_and_verifies_against_the_jwks()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        await using var sink = await WebhookSink.StartAsync();
        using var client = Fal.Client(emulator);
        var id = (string)(await Fal.SubmitOkAsync(client, Fal.Input(), sink.Url))["request_id"]!;

        await Poll.UntilAsync(() => !sink.Received.IsEmpty);
        var hook = sink.Received.Single();
        Assert.StartsWith("application/json", hook.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal(id, hook.Header("X-Fal-Webhook-Request-Id"));
        Assert.Equal("emulator-user", hook.Header("X-Fal-Webhook-User-Id"));
        var timestamp = long.Parse(hook.Header("X-Fal-Webhook-Timestamp")!, CultureInfo.InvariantCulture);
        Assert.InRange(timestamp, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        Assert.Equal(128, hook.Header("X-Fal-Webhook-Signature")!.Length);
        Assert.Equal(hook.Header("X-Fal-Webhook-Signature")!.ToLowerInvariant(), hook.Header("X-Fal-Webhook-Signature"));

        var jwks = (await client.GetFromJsonAsync<JsonObject>(emulator.JwksUrl))!;
        Assert.True(Fal.VerifySignature(jwks, hook));

        var json = hook.Json;
        Assert.Equal(id, (string?)json["request_id"]);
        Assert.Equal(id, (string?)json["gateway_request_id"]);
        Assert.Equal("OK", (string?)json["status"]);
        Assert.StartsWith(emulator.BaseUrl + "/files/", (string)json["payload"]!["video"]!["url"]!, StringComparison.Ordinal);

        // Tampered body does not verify.
        var tampered = hook with { Body = [.. hook.Body, (byte)' '] };
        Assert.False(Fal.VerifySignature(jwks, tampered));

        await Poll.UntilAsync(() => emulator.State.WebhookDeliveries.Count >= 1); // recorded once the answer is read
        var delivery = Assert.Single(emulator.State.WebhookDeliveries);
        Assert.True(delivery.Succeeded);
        Assert.Equal(200, delivery.StatusCode);
        Assert.Equal(id, delivery.HeaderRequestId);
        Assert.Equal(id, emulator.State.GetSubmission(id)!.GatewayRequestId);
    }

    [Fact]
    public async Task Failed_deliveries_are_retried_and_each_attempt_is_re_signed()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        await using var sink = await WebhookSink.StartAsync();
        sink.Responder = n => n <= 2 ? 500 : 200;
        using var client = Fal.Client(emulator);
        await Fal.SubmitOkAsync(client, Fal.Input(), sink.Url);

        await Poll.UntilAsync(() => sink.Received.Count >= 3);
        await Task.Delay(300);
        Assert.Equal(3, sink.Received.Count);
        var jwks = (await client.GetFromJsonAsync<JsonObject>(emulator.JwksUrl))!;
        Assert.All(sink.Received, h => Assert.True(Fal.VerifySignature(jwks, h)));
        var attempts = emulator.State.WebhookDeliveries;
        Assert.Equal(new int?[] { 500, 500, 200 }, attempts.Select(a => a.StatusCode));
        Assert.Equal(new[] { 1, 2, 3 }, attempts.Select(a => a.Attempt));
    }

    [Fact]
    public async Task Unreachable_webhook_is_retried_up_to_the_configured_attempts()
    {
        var options = Fal.FastOptions();
        options.WebhookMaxAttempts = 3;
        options.WebhookRetryBaseDelay = TimeSpan.FromMilliseconds(20);
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        using var client = Fal.Client(emulator);
        await Fal.SubmitOkAsync(client, Fal.Input(), "http://127.0.0.1:1/unreachable");
        await Poll.UntilAsync(() => emulator.State.WebhookDeliveries.Count == 3);
        Assert.All(emulator.State.WebhookDeliveries, d => Assert.NotNull(d.Error));
    }

    [Fact]
    public async Task Rotated_key_signs_and_the_jwks_lists_the_keys()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        await using var sink = await WebhookSink.StartAsync();
        using var client = Fal.Client(emulator);
        var oldJwks = (await client.GetFromJsonAsync<JsonObject>(emulator.JwksUrl))!;
        var kid = emulator.State.RotateSigningKey();
        var both = (await client.GetFromJsonAsync<JsonObject>(emulator.JwksUrl))!;
        Assert.Equal(2, both["keys"]!.AsArray().Count);

        await Fal.SubmitOkAsync(client, Fal.Input(), sink.Url);
        await Poll.UntilAsync(() => !sink.Received.IsEmpty);
        var hook = sink.Received.Single();
        Assert.False(Fal.VerifySignature(oldJwks, hook));
        Assert.True(Fal.VerifySignature(both, hook));

        using var control = new HttpClient();
        var rotated = (await (await control.PostAsync(emulator.ControlUrl + "/keys/rotate?retire_old=true", null)).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.NotEqual(kid, (string?)rotated["kid"]);
        var only = (await client.GetFromJsonAsync<JsonObject>(emulator.JwksUrl))!;
        Assert.Equal((string?)rotated["kid"], (string?)only["keys"]!.AsArray().Single()!["kid"]);
    }

    [Fact]
    public async Task Delayed_webhook_set_over_the_control_api_makes_its_first_attempt_the_delay_after_completion()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 8, 20, 9, 0, 0, TimeSpan.Zero));
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FakeClockOptions(time));
        await using var sink = await WebhookSink.StartAsync();
        using var added = await Fal.ControlAsync(emulator, "faults", """{"kind":"webhook_delay","delay":"00:05:00","count":1}""");
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        using var client = Fal.Client(emulator);

        var done = await Fal.CompletedAsync(emulator, client, Fal.Input(), sink.Url);
        Assert.Empty(emulator.State.WebhookDeliveries);

        // The clock moves only here, a minute per step: an undelayed webhook would carry an earlier time.
        await Poll.UntilAsync(() =>
        {
            time.Advance(TimeSpan.FromMinutes(1));
            return !sink.Received.IsEmpty;
        });
        await Poll.UntilAsync(() => emulator.State.WebhookDeliveries.Count > 0); // the sink can see it before the emulator records it
        var first = emulator.State.WebhookDeliveries[0];
        Assert.True(first.At - done.CompletedAt!.Value >= TimeSpan.FromMinutes(5), $"first attempt {first.At - done.CompletedAt} after completion");
        Assert.Equal("OK", (string?)sink.Received.Single().Json["status"]);
    }

    [Fact]
    public async Task Delayed_webhook_is_retried_as_usual_after_its_first_attempt()
    {
        var options = Fal.FastOptions();
        await using var emulator = await FalEmulatorHost.StartAsync(options);
        await using var sink = await WebhookSink.StartAsync();
        sink.Responder = n => n == 1 ? 503 : 200;
        emulator.State.AddFault(FaultRule.WebhookDelayed(TimeSpan.FromMilliseconds(300), promptContains: "late"));
        using var client = Fal.Client(emulator);

        await Fal.SubmitOkAsync(client, Fal.Input("late cat"), sink.Url);

        await Poll.UntilAsync(() => sink.Received.Count >= 2);
        await Poll.UntilAsync(() => emulator.State.WebhookDeliveries.Count >= 2); // recorded once the answer is read
        Assert.Equal(new int?[] { 503, 200 }, emulator.State.WebhookDeliveries.Select(d => d.StatusCode));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Gateway_retry_gives_the_webhook_another_gateway_id_and_the_header_and_signature_carry_the_chosen_id(bool gatewayIdInHeader)
    {
        await using var emulator = await FalEmulatorHost.StartAsync(Fal.FastOptions());
        await using var sink = await WebhookSink.StartAsync();
        emulator.State.AddFault(FaultRule.GatewayRetried(gatewayIdInHeader));
        using var client = Fal.Client(emulator);
        var id = (string)(await Fal.SubmitOkAsync(client, Fal.Input(), sink.Url))["request_id"]!;

        await Poll.UntilAsync(() => !sink.Received.IsEmpty);
        var hook = sink.Received.Single();
        var json = hook.Json;
        var gatewayId = (string)json["gateway_request_id"]!;
        Assert.Equal(id, (string?)json["request_id"]);
        Assert.NotEqual(id, gatewayId);
        Assert.True(Guid.TryParse(gatewayId, out _));
        Assert.Equal(gatewayIdInHeader ? gatewayId : id, hook.Header("X-Fal-Webhook-Request-Id"));
        var jwks = (await client.GetFromJsonAsync<JsonObject>(emulator.JwksUrl))!;
        Assert.True(Fal.VerifySignature(jwks, hook)); // signed over the header's id, as sent
        Assert.Equal(gatewayId, emulator.State.GetSubmission(id)!.GatewayRequestId);
        await Poll.UntilAsync(() => emulator.State.WebhookDeliveries.Count >= 1); // recorded once the answer is read
        Assert.Equal(hook.Header("X-Fal-Webhook-Request-Id"), Assert.Single(emulator.State.WebhookDeliveries).HeaderRequestId);
    }
}
