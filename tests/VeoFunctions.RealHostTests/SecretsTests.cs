using VeoFunctions.RealHostTests.Infrastructure;
using VeoFunctions.Testing;

namespace VeoFunctions.RealHostTests;

/// <summary>
/// No bearer secret of a request reaches what the host prints (its own log and the worker's, which it forwards): a
/// function key sent as <c>?code=</c>, a webhook's <c>?token=</c>, and the SAS of a download link.
/// </summary>
[Trait("Category", "RealHost")]
[Collection(RealHostCollection.Name)]
public sealed class SecretsTests(RealHostFixture host)
{
    [SkippableFact]
    public async Task AFunctionKeyInTheQuery_AWebhookToken_AndADownloadLinksSignature_NeverReachTheHostsLog()
    {
        var app = host.Require();
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
        Assert.DoesNotContain(token, log, StringComparison.Ordinal);
        Assert.DoesNotContain(signature, log, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(signature), log, StringComparison.Ordinal);
    }
}
