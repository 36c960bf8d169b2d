using System.Text.Json.Nodes;

namespace FalEmulator;

/// <summary>Composition root: services and routes shared by the standalone program and <see cref="FalEmulatorHost"/>.</summary>
internal static class EmulatorApp
{
    public static void ConfigureServices(WebApplicationBuilder builder, EmulatorState state)
    {
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(_ => new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            AllowAutoRedirect = true,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        });
        builder.Services.AddSingleton(sp => new ImageFetcher(sp.GetRequiredService<HttpClient>(), state.Files));
        builder.Services.AddSingleton<WebhookDeliverer>();
        builder.Services.AddSingleton<QueueSimulator>();
    }

    public static void MapRoutes(WebApplication app)
    {
        ControlEndpoints.Map(app);
        StorageEndpoints.Map(app);
        PlatformEndpoints.Map(app);
        QueueEndpoints.Map(app);
        app.MapFallback(context => FalHttp.WriteJsonAsync(context, 404, new JsonObject { ["detail"] = "Not Found" }));
    }
}
