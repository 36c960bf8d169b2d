using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace VeoFunctions.IntegrationTests.ScaleOut;

/// <summary>A request the front passed on: which instance's doors served it.</summary>
/// <param name="JobId">The job the request names (<c>?job=</c> of a webhook, the path of a job's routes), when it names one.</param>
/// <param name="Error">Why the front could not pass it on (it then answers 502), else null.</param>
public sealed record FrontRequest(string Method, string Path, string? JobId, int Instance, DateTimeOffset At, int Status, string? Error);

/// <summary>
/// The Function App's public address, as Azure's front end provides it: one host name, each request sent to one of the
/// live instances in turn (round robin), whatever it is. fal's webhooks come through it too (Jobs:PublicBaseUrl names
/// it), so a webhook lands on an instance whether or not that instance holds the job's partition. A killed instance is
/// taken out of the rotation. The forwarding is YARP's (<see cref="IHttpForwarder"/>); the original Host is kept, so
/// URLs the app builds from the request name the front.
/// </summary>
public sealed class RoundRobinFront : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
    });

    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<FrontRequest> _served = new();
    private List<(int Instance, string Prefix)> _targets = [];
    private long _turn;

    private RoundRobinFront(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    /// <summary>Every request passed on so far, in the order they ended.</summary>
    public IReadOnlyList<FrontRequest> Served => _served.ToList();

    /// <summary>Instances in the rotation.</summary>
    public IReadOnlyList<int> Routed
    {
        get
        {
            lock (_gate)
            {
                return _targets.Select(t => t.Instance).ToList();
            }
        }
    }

    public static async Task<RoundRobinFront> StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        var front = new RoundRobinFront(app, new Uri($"http://127.0.0.1:{port}"));
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        app.Run(context => front.ForwardAsync(context, forwarder));
        await app.StartAsync();
        return front;
    }

    /// <summary>Puts an instance's doors into the rotation (again, after a restart on a new port).</summary>
    public void Route(int instance, Uri doors)
    {
        ArgumentNullException.ThrowIfNull(doors);
        lock (_gate)
        {
            _targets = [.. _targets.Where(t => t.Instance != instance), (instance, doors.GetLeftPart(UriPartial.Authority))];
            _targets.Sort((a, b) => a.Instance.CompareTo(b.Instance));
        }
    }

    /// <summary>Takes an instance out of the rotation: no new request reaches it.</summary>
    public void Unroute(int instance)
    {
        lock (_gate)
        {
            _targets = _targets.Where(t => t.Instance != instance).ToList();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _invoker.Dispose();
    }

    private async Task ForwardAsync(HttpContext context, IHttpForwarder forwarder)
    {
        (int Instance, string Prefix) target;
        lock (_gate)
        {
            if (_targets.Count == 0)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            target = _targets[(int)(_turn++ % _targets.Count)];
        }

        var error = await forwarder.SendAsync(context, target.Prefix, _invoker, ForwarderRequestConfig.Empty, KeepHost.Instance);
        var request = context.Request;
        string? why = error == ForwarderError.None ? null : $"{error}: {context.GetForwarderErrorFeature()?.Exception?.Message}";
        _served.Enqueue(new FrontRequest(request.Method, request.Path, JobIdOf(request), target.Instance, DateTimeOffset.UtcNow, context.Response.StatusCode, why));
    }

    private static string? JobIdOf(HttpRequest request)
    {
        if (request.Query["job"].FirstOrDefault() is { } job)
        {
            return job;
        }

        string[] segments = request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return segments is ["api", "videos", var id, ..] ? id : null;
    }

    /// <summary>Passes the request on as received, Host included (the app builds its status URLs from it).</summary>
    private sealed class KeepHost : HttpTransformer
    {
        public static readonly KeepHost Instance = new();

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Host = httpContext.Request.Host.Value;
        }
    }
}
