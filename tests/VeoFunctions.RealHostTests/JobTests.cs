using System.Net;
using System.Text.Json;
using FalEmulator;
using VeoFunctions.RealHostTests.Infrastructure;
using Xunit.Abstractions;

namespace VeoFunctions.RealHostTests;

/// <summary>A job through the app as Azure runs it, and the keys the host enforces on its doors.</summary>
[Trait("Category", "RealHost")]
[Collection(RealHostCollection.Name)]
public sealed class JobTests(RealHostFixture host, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task APostedJob_Completes_WithFalsMp4Archived_ThroughTheAnonymousWebhookDoor()
    {
        var app = host.Require();
        output.WriteLine($"Host: {app.Launcher.Description}");
        long submissionsBefore = app.Fal.State.GetCount(RequestKind.Submit);

        string jobId = await Samples.StartAsync(app, Samples.Job("A red ball rolls down a grassy hill"));
        var status = await app.WaitForEndAsync(jobId);

        Assert.True(status.GetProperty("phase").GetString() == "completed", status.ToString());
        string requestId = status.GetProperty("falRequestId").GetString()!;
        var falVideo = Samples.FalVideo(app, requestId);
        byte[] archived = await Samples.DownloadAsync(app, jobId);
        Assert.Equal(falVideo.GetProperty("file_size").GetInt64(), archived.LongLength);
        Assert.Equal("ftyp"u8.ToArray(), archived[4..8]); // an MP4, as fal served it
        Assert.Equal(submissionsBefore + 1, app.Fal.State.GetCount(RequestKind.Submit));
        // fal's signed webhook reached the app through the host without any key, and was taken.
        Assert.Contains(app.Fal.State.WebhookDeliveries, d => d.RequestId == requestId && d.StatusCode == 200);
    }

    [SkippableFact]
    public async Task EveryFunctionLevelRoute_Is401WithoutAKey_AndTheWebhookDoorLetsARequestReachTheApp()
    {
        var app = host.Require();
        var routes = HttpRoutes(app.AppDirectory);
        Assert.Contains(routes, r => r.AuthLevel == "Anonymous");

        foreach (var (function, route, methods, authLevel) in routes)
        {
            string path = "/api/" + route.Replace("{jobId}", "k0123456789abcdef0123456789abcdef", StringComparison.Ordinal);
            foreach (string method in methods)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path);
                if (method is "post" or "put")
                {
                    request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
                }

                using var response = await app.Http.SendAsync(request);
                string body = await response.Content.ReadAsStringAsync();
                if (function == "GetOpenApi")
                {
                    // The contract holds no secret: the host lets it through and the app serves it.
                    Assert.True(response.StatusCode == HttpStatusCode.OK && body.Contains("\"openapi\": \"3.1", StringComparison.Ordinal),
                        $"{method} {path} ({function}, anonymous): {(int)response.StatusCode} {body[..Math.Min(body.Length, 200)]}");
                }
                else if (authLevel == "Anonymous")
                {
                    // The host let it through: the app itself refused an unsigned delivery, with its own problem.
                    Assert.True((int)response.StatusCode is >= 400 and < 500 && response.Content.Headers.ContentType?.MediaType == "application/problem+json",
                        $"{method} {path} ({function}, anonymous): {(int)response.StatusCode} {response.Content.Headers.ContentType} {body}");
                }
                else
                {
                    // The host refused it before the app saw it: no body of the app's.
                    Assert.True(response.StatusCode == HttpStatusCode.Unauthorized && body.Length == 0,
                        $"{method} {path} ({function}, {authLevel}) without a key: {(int)response.StatusCode} {body}");
                }
            }
        }
    }

    /// <summary>The HTTP functions the host loaded, as the build reported them to it.</summary>
    private static List<(string Function, string Route, string[] Methods, string AuthLevel)> HttpRoutes(string appDirectory) =>
        [.. JsonDocument.Parse(File.ReadAllText(Path.Combine(appDirectory, "functions.metadata"))).RootElement.EnumerateArray()
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray()
                .Where(b => b.GetProperty("type").GetString() == "httpTrigger")
                .Select(b => (
                    f.GetProperty("name").GetString()!,
                    b.GetProperty("route").GetString()!,
                    b.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant()).ToArray(),
                    b.GetProperty("authLevel").GetString()!)))];
}
