using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace VeoFunctions.Testing;

/// <summary>One request a <see cref="CallbackReceiver"/> got, as it arrived.</summary>
internal sealed record ReceivedCallback(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out string? value) ? value : null;
}

/// <summary>
/// A callback receiver on real Kestrel (127.0.0.1, ephemeral port) that records every request. <c>/hook</c> answers
/// the statuses given to <see cref="Answer"/> in turn (the last one repeats; 204 when none); <c>/status/{code}</c>
/// answers that status; <c>/hang</c> never answers; <c>/redirect/{code}</c> redirects to <c>/hook</c>;
/// <c>/chatty-refusal</c> answers 400 with a megabyte of text.
/// </summary>
internal sealed class CallbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedCallback> _received = new();
    private readonly ConcurrentQueue<int> _answers = new();
    private int _last = StatusCodes.Status204NoContent;

    private CallbackReceiver(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<ReceivedCallback> Received => [.. _received];

    public Uri Url(string path) => new(BaseAddress, path);

    /// <summary>What <c>/hook</c> answers next, in order.</summary>
    public void Answer(params int[] statuses)
    {
        foreach (int status in statuses)
        {
            _answers.Enqueue(status);
        }
    }

    public static async Task<CallbackReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new CallbackReceiver(app);
        app.Use(async (context, next) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            receiver._received.Enqueue(new ReceivedCallback(
                context.Request.Method,
                context.Request.Path.Value ?? "",
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
                body.ToArray()));
            await next(context);
        });
        app.MapPost("/hook", () => Results.StatusCode(receiver.NextAnswer()));
        app.MapPost("/status/{code:int}", (int code) => Results.StatusCode(code));
        app.MapPost("/hang", async (HttpContext context) =>
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
            return Results.Ok();
        });
        app.MapPost("/redirect/{code:int}", (int code, HttpContext context) =>
        {
            context.Response.Headers.Location = "/hook";
            return Results.StatusCode(code);
        });
        app.MapPost("/chatty-refusal", () => Results.Text("Bad signature.\r\n" + new string('x', 1024 * 1024), "text/plain", statusCode: 400));
        await app.StartAsync();
        receiver.BaseAddress = new Uri(app.Urls.First());
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private int NextAnswer()
    {
        if (_answers.TryDequeue(out int next))
        {
            _last = next;
        }

        return _last;
    }
}
