using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FalEmulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NSec.Cryptography;
using VeoFunctions.Testing;

namespace FalEmulator.Tests;

internal static class Fal
{
    public const string Endpoint = "fal-ai/veo3.1/reference-to-video";

    public static EmulatorOptions FastOptions() => new()
    {
        QueueTime = TimeSpan.FromMilliseconds(150),
        GenerationTime = TimeSpan.FromMilliseconds(200),
        WebhookRetryBaseDelay = TimeSpan.FromMilliseconds(50),
        WebhookRetryMaxDelay = TimeSpan.FromMilliseconds(200),
    };

    /// <summary>Options on a fake clock with no queue or generation time: requests finish at once and time moves only when the test says.</summary>
    public static EmulatorOptions FakeClockOptions(Microsoft.Extensions.Time.Testing.FakeTimeProvider time)
    {
        var options = FastOptions();
        options.TimeProvider = time;
        options.QueueTime = TimeSpan.Zero;
        options.GenerationTime = TimeSpan.Zero;
        return options;
    }

    /// <summary>POSTs JSON to the control API (<c>config</c>, <c>faults</c>, …).</summary>
    public static async Task<HttpResponseMessage> ControlAsync(FalEmulatorHost emulator, string path, string json)
    {
        using var control = new HttpClient { BaseAddress = new Uri(emulator.ControlUrl + "/") };
        return await control.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
    }

    /// <summary>Submits and waits until the request is IN_PROGRESS; returns the submit answer.</summary>
    public static async Task<JsonObject> RunningAsync(FalEmulatorHost emulator, HttpClient client, JsonObject input, string? webhook = null)
    {
        var submitted = await SubmitOkAsync(client, input, webhook);
        var id = (string)submitted["request_id"]!;
        await Poll.UntilAsync(() => emulator.State.GetSubmission(id)!.Status == "IN_PROGRESS");
        return submitted;
    }

    /// <summary>PUTs the cancel_url and asserts fal's 202 CANCELLATION_REQUESTED.</summary>
    public static async Task CancelRequestedAsync(HttpClient client, JsonObject submitted)
    {
        using var cancel = await client.PutAsync((string)submitted["cancel_url"]!, null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal("CANCELLATION_REQUESTED", (string?)(await JsonAsync(cancel))["status"]);
    }

    /// <summary>Submits and waits (in-process) until the request is COMPLETED.</summary>
    public static async Task<SubmissionInfo> CompletedAsync(FalEmulatorHost emulator, HttpClient client, JsonObject input, string? webhook = null)
    {
        var id = (string)(await SubmitOkAsync(client, input, webhook))["request_id"]!;
        return await emulator.State.WaitForCompletionAsync(id, Patience.Condition);
    }

    /// <summary>Uploads bytes through initiate + PUT; returns the file_url.</summary>
    public static async Task<string> UploadAsync(HttpClient client, byte[] bytes, string fileName = "ref.png", Action<HttpRequestMessage>? configure = null)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "storage/upload/initiate?storage_type=fal-cdn-v3")
        {
            Content = new StringContent($$"""{"content_type":"image/png","file_name":"{{fileName}}"}""", Encoding.UTF8, "application/json"),
        };
        configure?.Invoke(message);
        using var initiate = await client.SendAsync(message);
        Assert.Equal(HttpStatusCode.OK, initiate.StatusCode);
        var body = await JsonAsync(initiate);
        using var anonymous = new HttpClient();
        using var put = await anonymous.PutAsync((string)body["upload_url"]!, new ByteArrayContent(bytes));
        Assert.True(put.IsSuccessStatusCode);
        return (string)body["file_url"]!;
    }

    /// <summary>The Platform error body's type, asserting the shape (<c>{"error":{"type","message"}}</c>, no queue-style detail).</summary>
    public static async Task<string?> PlatformErrorTypeAsync(HttpResponseMessage response)
    {
        var body = await JsonAsync(response);
        Assert.Null(body["detail"]);
        Assert.NotNull((string?)body["error"]!["message"]);
        return (string?)body["error"]!["type"];
    }

    public static HttpClient Client(FalEmulatorHost emulator, string? key = "test-id:test-secret")
    {
        var client = new HttpClient { BaseAddress = new Uri(emulator.BaseUrl + "/"), Timeout = Patience.Condition };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Key", key);
        }

        return client;
    }

    public static JsonObject Input(string prompt = "a cat surfing", params string[] imageUrls) => new()
    {
        ["prompt"] = prompt,
        ["image_urls"] = new JsonArray((imageUrls.Length == 0 ? ["data:image/png;base64,iVBORw0KGgo="] : imageUrls).Select(u => (JsonNode)u!).ToArray()),
        ["aspect_ratio"] = "16:9",
        ["duration"] = "8s",
        ["resolution"] = "720p",
        ["generate_audio"] = true,
    };

    public static Task<HttpResponseMessage> SubmitAsync(HttpClient client, JsonObject input, string? webhook = null, Action<HttpRequestMessage>? configure = null)
    {
        var url = Endpoint + (webhook is null ? string.Empty : "?fal_webhook=" + Uri.EscapeDataString(webhook));
        var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(input.ToJsonString(), Encoding.UTF8, "application/json") };
        configure?.Invoke(message);
        return client.SendAsync(message);
    }

    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response) =>
        (JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject)!;

    public static async Task<JsonObject> SubmitOkAsync(HttpClient client, JsonObject input, string? webhook = null)
    {
        using var response = await SubmitAsync(client, input, webhook);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }

    /// <summary>Polls status_url until 200 COMPLETED.</summary>
    public static async Task<JsonObject> WaitCompletedAsync(HttpClient client, string statusUrl)
    {
        var deadline = DateTime.UtcNow + Patience.Condition; // only a hung emulator meets it
        while (DateTime.UtcNow < deadline)
        {
            using var response = await client.GetAsync(statusUrl + "?logs=1");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var body = await JsonAsync(response);
                Assert.Equal("COMPLETED", (string?)body["status"]);
                return body;
            }

            await Task.Delay(40);
        }

        throw new TimeoutException($"Gave up after {Patience.Condition} waiting for {statusUrl} to say COMPLETED.");
    }
    /// <summary>Verifies the webhook signature exactly as documented, against every key of the JWKS.</summary>
    public static bool VerifySignature(JsonObject jwks, ReceivedWebhook hook)
    {
        var message = Encoding.UTF8.GetBytes(
            $"{hook.Header("X-Fal-Webhook-Request-Id")}\n{hook.Header("X-Fal-Webhook-User-Id")}\n{hook.Header("X-Fal-Webhook-Timestamp")}\n{Convert.ToHexStringLower(SHA256.HashData(hook.Body))}");
        var signature = Convert.FromHexString(hook.Header("X-Fal-Webhook-Signature")!);
        foreach (var key in jwks["keys"]!.AsArray())
        {
            Assert.Equal("OKP", (string?)key!["kty"]);
            Assert.Equal("Ed25519", (string?)key["crv"]);
            var x = (string)key["x"]!;
            Assert.DoesNotContain("=", x, StringComparison.Ordinal);
            var raw = Convert.FromBase64String(x.Replace('-', '+').Replace('_', '/') + new string('=', (4 - (x.Length % 4)) % 4));
            var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, raw, KeyBlobFormat.RawPublicKey);
            if (SignatureAlgorithm.Ed25519.Verify(publicKey, message, signature))
            {
                return true;
            }
        }

        return false;
    }
}

internal sealed record ReceivedWebhook(IReadOnlyDictionary<string, string> Headers, byte[] Body, DateTimeOffset At)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;

    public JsonObject Json => (JsonNode.Parse(Body) as JsonObject)!;
}

/// <summary>A real Kestrel listener on 127.0.0.1 receiving webhooks.</summary>
internal sealed class WebhookSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    private WebhookSink(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>Status to answer for call n (1-based); default 200.</summary>
    public Func<int, int> Responder { get; set; } = _ => 200;

    public static async Task<WebhookSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        WebhookSink? sink = null;
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            sink!.Received.Enqueue(new ReceivedWebhook(headers, buffer.ToArray(), DateTimeOffset.UtcNow));
            return Results.StatusCode(sink.Responder(Interlocked.Increment(ref sink._calls)));
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink = new WebhookSink(app, address + "/hook");
        return sink;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
