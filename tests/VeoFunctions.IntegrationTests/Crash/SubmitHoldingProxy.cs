using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace VeoFunctions.IntegrationTests.Crash;

/// <summary>
/// A transparent HTTP proxy in front of fal's queue origin (the emulator) that lets fal accept the first submit,
/// then holds fal's answer back from the caller: it opens, deterministically, the window in which fal has taken
/// (and will bill) the request but the worker has not yet heard of it. Everything else passes through unchanged;
/// the Host header is kept, so the URLs fal hands out keep pointing at the proxy.
/// </summary>
public sealed class SubmitHoldingProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
    private readonly TaskCompletionSource<string> _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _submits;

    private SubmitHoldingProxy(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <summary>Where requests go (fal's queue origin); set before the first request.</summary>
    public string? Upstream { get; set; }

    /// <summary>Completes with fal's held answer once fal has accepted the first submit.</summary>
    public Task<string> FirstSubmitAnsweredAndHeld => _held.Task;

    public static async Task<SubmitHoldingProxy> StartAsync()
    {
        int port = Infrastructure.LoopbackPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var proxy = new SubmitHoldingProxy(app, $"http://127.0.0.1:{port}");
        app.Run(proxy.ForwardAsync);
        await app.StartAsync();
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var incoming = context.Request;
        using var outgoing = new HttpRequestMessage(new HttpMethod(incoming.Method), new Uri((Upstream ?? throw new InvalidOperationException("Set Upstream first.")) + incoming.Path + incoming.QueryString));
        if (incoming.ContentLength > 0 || incoming.Headers.TransferEncoding.Count > 0)
        {
            var body = new MemoryStream();
            await incoming.Body.CopyToAsync(body, context.RequestAborted);
            body.Position = 0;
            outgoing.Content = new StreamContent(body);
        }

        foreach (var (name, values) in incoming.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!outgoing.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                outgoing.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        outgoing.Headers.Host = incoming.Host.Value;
        using var answer = await _upstream.SendAsync(outgoing, HttpCompletionOption.ResponseContentRead, context.RequestAborted);
        byte[] bytes = await answer.Content.ReadAsByteArrayAsync(context.RequestAborted);

        if (IsSubmit(incoming) && Interlocked.Increment(ref _submits) == 1)
        {
            // fal has accepted (and will bill) the request; its caller never hears of it.
            _held.TrySetResult(System.Text.Encoding.UTF8.GetString(bytes));
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }

            return;
        }

        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var header in answer.Headers.Concat(answer.Content.Headers))
        {
            if (!HopByHop.Contains(header.Key) && !string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }

        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    // A submit: POST /{owner}/{alias}[/{path}] — not storage, upload, requests or the emulator's control API.
    private static bool IsSubmit(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && !request.Path.StartsWithSegments("/storage", StringComparison.Ordinal)
        && !request.Path.StartsWithSegments("/upload", StringComparison.Ordinal)
        && !request.Path.StartsWithSegments("/_emulator", StringComparison.Ordinal)
        && !request.Path.Value!.Contains("/requests/", StringComparison.Ordinal);
}
