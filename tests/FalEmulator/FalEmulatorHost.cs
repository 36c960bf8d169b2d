using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace FalEmulator;

/// <summary>
/// Hosts the fal emulator in-process on real Kestrel sockets (default 127.0.0.1, free port).
/// Queue, REST (storage) and JWKS are all served on <see cref="BaseUrl"/>.
/// </summary>
public sealed class FalEmulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FalEmulatorHost(WebApplication app, EmulatorState state, Uri baseUri)
    {
        _app = app;
        State = state;
        BaseUri = baseUri;
    }

    /// <summary>Origin, e.g. http://127.0.0.1:54321 (no trailing slash). Use it as fal's queue AND rest base URL.</summary>
    public string BaseUrl => BaseUri.GetLeftPart(UriPartial.Authority);

    public Uri BaseUri { get; }

    /// <summary>{BaseUrl}/.well-known/jwks.json</summary>
    public string JwksUrl => BaseUrl + "/.well-known/jwks.json";

    /// <summary>{BaseUrl}/_emulator (HTTP control API).</summary>
    public string ControlUrl => BaseUrl + ControlEndpoints.Prefix;

    /// <summary>Counters, submissions, webhook deliveries, faults, keys, live options.</summary>
    public EmulatorState State { get; }

    /// <summary>
    /// Sends a request's webhook once more, freshly signed, as fal does when it retries a delivery (also
    /// <c>POST /_emulator/requests/{id}/webhook</c>); null for an unknown request or one without a webhook.
    /// </summary>
    public async Task<WebhookDeliveryInfo?> ResendWebhookAsync(string requestId, CancellationToken cancellationToken = default) =>
        State.Find(requestId) is { } request
            ? await _app.Services.GetRequiredService<WebhookDeliverer>().ResendAsync(request, cancellationToken).ConfigureAwait(false)
            : null;

    public static async Task<FalEmulatorHost> StartAsync(EmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmulatorOptions();
        var state = new EmulatorState(options);
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                ApplicationName = typeof(FalEmulatorHost).Assembly.GetName().Name,
                ContentRootPath = AppContext.BaseDirectory,
                EnvironmentName = "Production",
            });
            builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(options.ListenAddress), options.Port));
            EmulatorApp.ConfigureServices(builder, state);
            var app = builder.Build();
            EmulatorApp.MapRoutes(app);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new FalEmulatorHost(app, state, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)));
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        State.Dispose(); // cancels running simulations and retries first
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
