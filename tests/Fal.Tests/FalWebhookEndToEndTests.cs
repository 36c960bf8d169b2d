using System.Text.Json;
using Fal.Queue;
using Fal.Webhooks;
using FalEmulator;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Testing;

namespace Fal.Tests;

/// <summary>Submit with a webhook, receive fal's signed delivery on a real listener, verify it with fal's JWKS.</summary>
public sealed class FalWebhookEndToEndTests
{
    [Fact]
    public async Task Webhook_FromTheEmulator_VerifiesAgainstItsJwks_AndAgainAfterAKeyRotation()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator());
        await using var sink = await WebhookSink.StartAsync();
        var options = TestFal.Options(fal.BaseUrl);
        var queue = TestFal.Queue(options);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var keys = new FalJwksKeySource(TestFal.Http(), Microsoft.Extensions.Options.Options.Create(options), time, NullLogger<FalJwksKeySource>.Instance);
        var verifier = new FalWebhookVerifier(keys, time);

        var first = await TestFal.SubmitAsync(queue, submit: new FalSubmitOptions { WebhookUrl = sink.Url });
        var firstHook = await ReceiveAsync(sink, first.Request.RequestId);
        var firstResult = await verifier.VerifyAsync(firstHook.Header, firstHook.Body);

        Assert.True(firstResult.IsValid, firstResult.Failure);
        Assert.Equal(first.Request.RequestId, firstResult.RequestId);
        var delivery = JsonSerializer.Deserialize(firstHook.Body, FalJsonContext.Default.FalWebhookDelivery);
        Assert.NotNull(delivery);
        Assert.True(delivery.IsOk);
        Assert.True(delivery.HasPayload);
        Assert.Equal(first.Request.RequestId, delivery.RequestId);
        Assert.Equal(1, fal.State.GetCount(RequestKind.Jwks));

        fal.State.RotateSigningKey(retireOld: true);
        var second = await TestFal.SubmitAsync(queue, submit: new FalSubmitOptions { WebhookUrl = sink.Url });
        var secondHook = await ReceiveAsync(sink, second.Request.RequestId);
        time.Advance(FalJwksKeySource.MinRefreshInterval + TimeSpan.FromSeconds(1)); // the refresh throttle counts from the first fetch
        var secondResult = await verifier.VerifyAsync(secondHook.Header, secondHook.Body);

        Assert.True(secondResult.IsValid, secondResult.Failure);
        Assert.Equal(second.Request.RequestId, secondResult.RequestId);
        Assert.Equal(2, fal.State.GetCount(RequestKind.Jwks));
        Assert.False((await verifier.VerifyAsync(firstHook.Header, firstHook.Body)).IsValid); // old key retired
    }

    [Fact]
    public async Task Webhook_SignedWithAKeyOutsideTheJwks_IsRejected()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.Faults.Add(FaultRule.Generation(FaultKind.WebhookWrongKey))));
        await using var sink = await WebhookSink.StartAsync();
        var options = TestFal.Options(fal.BaseUrl);
        using var keys = new FalJwksKeySource(TestFal.Http(), Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System, NullLogger<FalJwksKeySource>.Instance);
        var verifier = new FalWebhookVerifier(keys, TimeProvider.System);

        var submission = await TestFal.SubmitAsync(TestFal.Queue(options), submit: new FalSubmitOptions { WebhookUrl = sink.Url });
        var hook = await ReceiveAsync(sink, submission.Request.RequestId);
        var result = await verifier.VerifyAsync(hook.Header, hook.Body);

        Assert.False(result.IsValid);
        Assert.Equal(1, fal.State.GetCount(RequestKind.Jwks)); // the refresh right after the first fetch is throttled
    }

    [Fact]
    public async Task Webhook_ForAFailedModel_CarriesTheErrorDetailInThePayload()
    {
        await using var fal = await FalEmulatorHost.StartAsync(TestFal.FastEmulator(o => o.Faults.Add(FaultRule.Generation(FaultKind.GenerationError))));
        await using var sink = await WebhookSink.StartAsync();
        var options = TestFal.Options(fal.BaseUrl);
        using var keys = new FalJwksKeySource(TestFal.Http(), Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System, NullLogger<FalJwksKeySource>.Instance);

        var submission = await TestFal.SubmitAsync(TestFal.Queue(options), submit: new FalSubmitOptions { WebhookUrl = sink.Url });
        var hook = await ReceiveAsync(sink, submission.Request.RequestId);

        Assert.True((await new FalWebhookVerifier(keys, TimeProvider.System).VerifyAsync(hook.Header, hook.Body)).IsValid);
        var delivery = JsonSerializer.Deserialize(hook.Body, FalJsonContext.Default.FalWebhookDelivery)!;
        Assert.False(delivery.IsOk);
        Assert.True(delivery.HasPayload);
        Assert.True(FalErrorDetail.FromJson(delivery.Payload!.Value).IsContentPolicyViolation);
    }

    private static async Task<ReceivedWebhook> ReceiveAsync(WebhookSink sink, string requestId)
    {
        await Poll.UntilAsync(() => sink.For(requestId).Count > 0);
        return sink.For(requestId)[0];
    }
}
