using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Fal.Platform;
using Fal.Queue;
using Fal.Storage;
using Fal.Veo31;
using FalEmulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fal.Tests;

/// <summary>Builders shared by the tests: options, clients, inputs, emulator settings.</summary>
internal static class TestFal
{
    public const string Endpoint = ReferenceToVideoInput.EndpointId;
    public const string Key = "k:s";

    /// <summary>A tiny valid PNG header as a data URI; the emulator decodes it when the request runs.</summary>
    public const string ImageDataUri = "data:image/png;base64,iVBORw0KGgo=";

    public static EmulatorOptions FastEmulator(Action<EmulatorOptions>? configure = null)
    {
        var options = new EmulatorOptions
        {
            QueueTime = TimeSpan.FromMilliseconds(30),
            GenerationTime = TimeSpan.FromMilliseconds(60),
            ExpectedKey = Key,
            WebhookRetryBaseDelay = TimeSpan.FromMilliseconds(20),
            WebhookRetryMaxDelay = TimeSpan.FromMilliseconds(50),
            WebhookMaxAttempts = 3,
        };
        configure?.Invoke(options);
        return options;
    }

    public static FalOptions Options(string baseUrl, Action<FalOptions>? configure = null) =>
        Options(new Uri(baseUrl), configure);

    public static FalOptions Options(Uri baseUrl, Action<FalOptions>? configure = null)
    {
        var options = new FalOptions
        {
            QueueBaseUrl = baseUrl,
            RestBaseUrl = baseUrl,
            JwksUrl = new Uri(baseUrl.GetLeftPart(UriPartial.Authority) + "/.well-known/jwks.json"),
            Key = Key,
            RetryBaseDelay = TimeSpan.FromMilliseconds(20),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
        };
        configure?.Invoke(options);
        return options;
    }

    public static HttpClient Http(HttpMessageHandler? handler = null) =>
        new(handler ?? new SocketsHttpHandler(), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(10) };

    public static FalQueueClient Queue(FalOptions options, HttpMessageHandler? handler = null, TimeProvider? time = null) =>
        new(Http(handler), Microsoft.Extensions.Options.Options.Create(options), time ?? TimeProvider.System, NullLogger<FalQueueClient>.Instance);

    public static FalQueueClient Queue(FalEmulatorHost fal, HttpMessageHandler? handler = null, Action<FalOptions>? configure = null) =>
        Queue(Options(fal.BaseUrl, configure), handler);

    public static FalStorageClient Storage(FalOptions options, HttpMessageHandler? handler = null) =>
        new(Http(handler), Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System, NullLogger<FalStorageClient>.Instance);

    public static FalPlatformClient Platform(FalOptions options, HttpMessageHandler handler, TimeProvider? time = null) =>
        new(Http(handler), Microsoft.Extensions.Options.Options.Create(options), time ?? TimeProvider.System, NullLogger<FalPlatformClient>.Instance);

    public static ReferenceToVideoInput Input(string prompt = "a cat surfing at dawn") => new()
    {
        Prompt = prompt,
        ImageUrls = [ImageDataUri],
        AspectRatio = "16:9",
        Duration = "8s",
        Resolution = "720p",
        GenerateAudio = false,
    };

    public static Task<FalSubmission> SubmitAsync(FalQueueClient client, string prompt = "a cat surfing at dawn", FalSubmitOptions? submit = null, CancellationToken cancellationToken = default) =>
        client.SubmitAsync(Endpoint, Input(prompt), FalJsonContext.Default.ReferenceToVideoInput, submit, cancellationToken);

    /// <summary>Polls status until COMPLETED (real time, bounded).</summary>
    public static async Task<FalRequestStatus> WaitCompletedAsync(FalQueueClient client, FalRequest request, int timeoutMs = 8000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < deadline)
        {
            var status = await client.GetStatusAsync(request);
            if (status.IsCompleted)
            {
                return status;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("Request did not complete: " + request.RequestId);
    }
    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>What a handler saw of one request (copied before the request is disposed).</summary>
internal sealed record SeenRequest(HttpMethod Method, Uri Uri, string RawPathAndQuery, IReadOnlyDictionary<string, string> Headers, string? ContentType, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public static async Task<SeenRequest> CaptureAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var h in request.Headers)
        {
            headers[h.Key] = string.Join(",", h.Value);
        }

        byte[] body = [];
        string? contentType = null;
        if (request.Content is not null)
        {
            foreach (var h in request.Content.Headers)
            {
                headers[h.Key] = string.Join(",", h.Value);
            }

            contentType = request.Content.Headers.ContentType?.ToString();
            body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
        }

        return new SeenRequest(request.Method, request.RequestUri!, request.RequestUri!.PathAndQuery, headers, contentType, body);
    }
}

/// <summary>Records every request, then forwards it to a real socket handler (the emulator).</summary>
internal sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    public ConcurrentQueue<SeenRequest> Seen { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var seen = await SeenRequest.CaptureAsync(request, cancellationToken);
        Seen.Enqueue(seen);
        if (request.Content is not null)
        {
            // The body was buffered by the capture; replay it so the forward sends the same bytes.
            var replay = new ByteArrayContent(seen.Body);
            foreach (var h in request.Content.Headers)
            {
                replay.Headers.TryAddWithoutValidation(h.Key, h.Value);
            }

            request.Content = replay;
        }

        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Answers every request from a function (call number is 1-based) and records what it saw.</summary>
internal sealed class StubHandler(Func<SeenRequest, int, HttpResponseMessage> respond) : HttpMessageHandler
{
    private int _calls;

    public ConcurrentQueue<SeenRequest> Seen { get; } = new();

    public int Calls => Volatile.Read(ref _calls);

    public static HttpResponseMessage Json(HttpStatusCode status, string json, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var seen = await SeenRequest.CaptureAsync(request, cancellationToken);
        Seen.Enqueue(seen);
        var response = respond(seen, Interlocked.Increment(ref _calls));
        response.RequestMessage = request;
        return response;
    }
}

/// <summary>
/// Records every delay the code asks for and lets it elapse at once: retry delays become observable
/// exactly (including jitter and caps) without the test waiting for them.
/// </summary>
internal sealed class RecordingTimeProvider : TimeProvider
{
    public ConcurrentQueue<TimeSpan> Delays { get; } = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            Delays.Enqueue(dueTime);
            dueTime = TimeSpan.Zero;
        }

        return System.CreateTimer(callback, state, dueTime, period);
    }
}

internal sealed record ReceivedWebhook(IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>A real Kestrel listener on 127.0.0.1 that receives fal's webhooks.</summary>
internal sealed class WebhookSink : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookSink(WebApplication app, Uri url, ConcurrentQueue<ReceivedWebhook> received)
    {
        _app = app;
        Url = url;
        Received = received;
    }

    public Uri Url { get; }

    public ConcurrentQueue<ReceivedWebhook> Received { get; }

    public static async Task<WebhookSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var received = new ConcurrentQueue<ReceivedWebhook>();
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            received.Enqueue(new ReceivedWebhook(headers, buffer.ToArray()));
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new WebhookSink(app, new Uri(address + "/hook"), received);
    }

    /// <summary>Deliveries for one request id received so far.</summary>
    public IReadOnlyList<ReceivedWebhook> For(string requestId) =>
        Received.Where(w => w.Header("X-Fal-Webhook-Request-Id") == requestId).ToList();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
