using System.Net;
using System.Text.Json;
using System.Web;
using Microsoft.Extensions.Logging;
using VeoFunctions.IntegrationTests.Infrastructure;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// No bearer secret in any log line, at any level, from any library: the app's HTTP front (real Kestrel and the ASP.NET
/// Core pipeline the worker runs) and its durable worker, captured at Trace while a job runs through fal's signed
/// webhook, its status is read, and its video is fetched through the download redirect, each with a function key.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class SecretsInLogsTests(Azurite azurite)
{
    private const string FunctionKey = "fnKEY-0123456789-secret-function-key";

    [Fact]
    public async Task NoFunctionKey_WebhookToken_OrDownloadLink_AppearsInAnyLogLine_EvenAtTrace()
    {
        var logs = new CapturedLogs();
        await using var pipeline = await Pipeline.StartAsync(azurite, services: services => logs.AddTo(services, LogLevel.Trace));

        using var start = new HttpRequestMessage(HttpMethod.Post, $"/api/videos?code={FunctionKey}")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { prompt = "A heron at dawn", image_urls = new[] { TestImages.DataUri(TestImages.Png(8, 8)) } }),
        };
        using var started = await pipeline.Http.SendAsync(start);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        string jobId = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("jobId").GetString()!;
        await pipeline.WaitForJobAsync(jobId);

        using var status = await pipeline.Http.GetAsync($"/api/videos/{jobId}?code={FunctionKey}");
        string statusDocument = await status.Content.ReadAsStringAsync();
        using var app = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = pipeline.Functions.BaseUrl };
        using var redirect = await app.GetAsync($"/api/videos/{jobId}/video?code={FunctionKey}");
        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);

        // The secrets this run handed out: the function key, the job's webhook token (in the URL fal was given and
        // called), and the signatures of both download links (the status document's and the redirect's).
        var submission = Assert.Single(pipeline.Fal.State.Submissions);
        string token = HttpUtility.ParseQueryString(new Uri(submission.WebhookUrl!).Query)["token"]!;
        string statusLinkSig = HttpUtility.ParseQueryString(new Uri(JsonDocument.Parse(statusDocument).RootElement.GetProperty("video").GetProperty("downloadUrl").GetString()!).Query)["sig"]!;
        string redirectSig = HttpUtility.ParseQueryString(redirect.Headers.Location!.Query)["sig"]!;
        Assert.All(new[] { token, statusLinkSig, redirectSig }, secret => Assert.False(string.IsNullOrEmpty(secret)));
        Assert.Contains(logs.Lines, line => line.Message.Contains("/api/fal/webhook", StringComparison.Ordinal) || line.Category.Contains("ReceiveFalWebhook", StringComparison.Ordinal) || line.Category.Contains("FalWebhookIntake", StringComparison.Ordinal));

        string[] secrets = [FunctionKey, token, Uri.EscapeDataString(token), statusLinkSig, Uri.EscapeDataString(statusLinkSig), redirectSig, Uri.EscapeDataString(redirectSig)];
        var leaks = logs.Lines
            .Where(line => secrets.Any(secret => Text(line).Contains(secret, StringComparison.Ordinal)))
            .Select(line => $"{line.Level} {line.Category}: {line.Message}")
            .ToList();
        Assert.True(leaks.Count == 0, "Secrets in the logs:\n" + string.Join("\n", leaks));
    }

    private static string Text(CapturedLogs.LogLine line) =>
        string.Join("\n", new[] { line.Message, line.Exception?.ToString() ?? "" }.Concat(line.Scope.Select(s => $"{s.Key}={s.Value}")));
}
