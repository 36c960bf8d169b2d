using VeoFunctions.RealHostTests.Infrastructure;
using VeoFunctions.Testing;
using Xunit.Abstractions;

namespace VeoFunctions.RealHostTests;

/// <summary>
/// No bearer secret of a request reaches what the host prints (its own log and the worker's, which it forwards): a
/// function key sent as <c>?code=</c>, a webhook's <c>?token=</c>, the blobs_extension key of an Event Grid delivery,
/// and the SAS of a download link. Also with the host's logging turned up to Trace: the categories that write request
/// URLs are held to Warning by host.json, whatever the default level.
/// </summary>
[Trait("Category", "RealHost")]
[Collection(RealHostCollection.Name)]
public sealed class SecretsTests(RealHostFixture host, ITestOutputHelper output)
{
    [SkippableFact]
    public Task AFunctionKeyInTheQuery_AWebhookToken_AndADownloadLinksSignature_NeverReachTheHostsLog() =>
        AssertNoSecretInTheLogAsync(host.Require());

    [SkippableFact]
    public async Task NoSecret_ReachesTheHostsLog_EvenWithTheHostLoggingAtTrace()
    {
        var launcher = RealHost.Require();
        await using var app = await RealHostApp.StartAsync(launcher, output, hostJson: json =>
            json["logging"]!["logLevel"]!["default"] = "Trace"); // an operator turning logging up; host.json's own pins stay
        await AssertNoSecretInTheLogAsync(app);
    }

    private static async Task AssertNoSecretInTheLogAsync(RealHostApp app)
    {
        string jobId = await Samples.StartAsync(app, Samples.Job("A lantern in the fog, kept secret"));
        Assert.Equal("completed", (await app.WaitForEndAsync(jobId)).GetProperty("phase").GetString());

        string token = "tok" + Guid.NewGuid().ToString("N");
        using (var keyed = await app.Http.GetAsync(new Uri($"/api/videos/{jobId}?code={app.FunctionKey}", UriKind.Relative)))
        {
            Assert.Equal(200, (int)keyed.StatusCode); // the key in the query works, as callers may send it
        }

        using (var webhook = await app.Http.PostAsync(new Uri($"/api/fal/webhook?job={jobId}&token={token}", UriKind.Relative), new StringContent("{}")))
        {
            Assert.True((int)webhook.StatusCode is >= 400 and < 500);
        }

        // An Event Grid delivery as the subscription sends it, with the blobs_extension key in the URL (a validation
        // handshake: it starts nothing).
        using (var delivery = new HttpRequestMessage(HttpMethod.Post, new Uri($"/runtime/webhooks/blobs?functionName=Host.Functions.StartManifestJobs&code={app.BlobsExtensionKey}", UriKind.Relative))
        {
            Content = new StringContent($$"""[{"id":"{{Guid.NewGuid()}}","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","subject":"","eventTime":"{{DateTimeOffset.UtcNow:O}}","data":{"validationCode":"{{Guid.NewGuid()}}"},"dataVersion":"1"}]""", System.Text.Encoding.UTF8, "application/json"),
        })
        {
            delivery.Headers.Add("aeg-event-type", "SubscriptionValidation");
            using var answered = await app.Http.SendAsync(delivery);
            Assert.True(answered.IsSuccessStatusCode, $"The host's blob endpoint answered {(int)answered.StatusCode} to a validation handshake.");
        }

        string signature;
        using (var link = await app.Http.SendAsync(app.WithKey(HttpMethod.Get, $"/api/videos/{jobId}/video")))
        {
            var query = System.Web.HttpUtility.ParseQueryString(link.Headers.Location!.Query);
            signature = query["sig"] ?? throw new InvalidOperationException("The download link carries no SAS signature.");
        }

        // The last request names a path of its own: once the host has logged it, it has logged the ones before.
        string marker = "k" + Guid.NewGuid().ToString("N");
        using (await app.Http.SendAsync(app.WithKey(HttpMethod.Get, $"/api/videos/{marker}")))
        {
        }

        await Poll.UntilAsync(() => app.Log.Contains(marker, StringComparison.Ordinal), Patience.Condition, "the host to log the marker request");
        string log = app.Log;
        Assert.DoesNotContain(app.FunctionKey, log, StringComparison.Ordinal);
        Assert.DoesNotContain(app.BlobsExtensionKey, log, StringComparison.Ordinal);
        Assert.DoesNotContain(token, log, StringComparison.Ordinal);
        Assert.DoesNotContain(signature, log, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(signature), log, StringComparison.Ordinal);
    }
}
