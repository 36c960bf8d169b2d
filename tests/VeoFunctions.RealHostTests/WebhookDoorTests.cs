using System.Text;
using FalEmulator;
using VeoFunctions.RealHostTests.Infrastructure;

namespace VeoFunctions.RealHostTests;

/// <summary>
/// The anonymous webhook door in the host, where a delivery for an ended job meets the real durable extension (which
/// refuses to raise an event on an ended instance): every genuine delivery is 2xx, a forged one 401, nothing 5xx.
/// </summary>
[Trait("Category", "RealHost")]
[Collection(RealHostCollection.Name)]
public sealed class WebhookDoorTests(RealHostFixture host)
{
    [SkippableFact]
    public async Task DuplicateAndLateDeliveries_Are2xx_AForgedOneIs401_AndNoneIs5xx()
    {
        var app = host.Require();
        string jobId = await Samples.StartAsync(app, Samples.Job("A kite over a windy beach"));
        var ended = await app.WaitForEndAsync(jobId);
        Assert.Equal("completed", ended.GetProperty("phase").GetString());
        string requestId = ended.GetProperty("falRequestId").GetString()!;
        long submissions = app.Fal.State.GetCount(RequestKind.Submit);

        // fal retries a delivery it did not see answered: here late (the job has ended), and three at once.
        var late = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => ResendAsync(app, requestId)));
        Assert.All(late, d => Assert.True(d.StatusCode is >= 200 and < 300, $"a late copy was answered {d.StatusCode} {d.Error}"));

        // A genuine delivery's signature over another body: a forgery.
        var genuine = late[0];
        using var forged = new HttpRequestMessage(HttpMethod.Post, new Uri(genuine.Url).PathAndQuery)
        {
            Content = new StringContent(genuine.Body.Replace("\"OK\"", "\"ERROR\"", StringComparison.Ordinal), Encoding.UTF8, "application/json"),
        };
        forged.Headers.Add("X-Fal-Webhook-Request-Id", genuine.HeaderRequestId);
        forged.Headers.Add("X-Fal-Webhook-User-Id", app.Fal.State.Options.WebhookUserId);
        forged.Headers.Add("X-Fal-Webhook-Timestamp", genuine.Timestamp);
        forged.Headers.Add("X-Fal-Webhook-Signature", genuine.Signature);
        using var answer = await app.Http.SendAsync(forged);
        Assert.Equal(401, (int)answer.StatusCode);

        var after = await app.GetStatusAsync(jobId);
        Assert.Equal("completed", after.GetProperty("phase").GetString());
        Assert.False(after.GetProperty("salvaged").GetBoolean(), "a duplicate of a delivered video started a salvage run");
        Assert.Equal(submissions, app.Fal.State.GetCount(RequestKind.Submit));
        Assert.DoesNotContain(app.Fal.State.WebhookDeliveries, d => d.StatusCode >= 500);
    }

    private static async Task<WebhookDeliveryInfo> ResendAsync(RealHostApp app, string requestId) =>
        await app.Fal.ResendWebhookAsync(requestId) ?? throw new InvalidOperationException($"The emulator has no webhook for {requestId}.");
}
