using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VeoFunctions.Functions;

namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// Stands in for the Functions host's HTTP front (Core Tools can't be installed here): real Kestrel on
/// loopback, each route handing the request to the very function class the Function App registers, with the
/// app's own service registrations, and executing the IActionResult it returns as the ASP.NET Core
/// integration does. Route, method and auth level are checked separately against the build's metadata.
/// </summary>
public sealed class FunctionsHttpHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FunctionsHttpHost(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<FunctionsHttpHost> StartAsync(int port, IConfiguration configuration, DurableTaskClient durable, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Services.AddVeoFunctions();
        builder.Services.AddMvcCore();
        services?.Invoke(builder.Services);
        var app = builder.Build();

        app.MapPost("/api/videos", Door<StartVideoJob>((f, ctx) => f.RunAsync(ctx.Request, durable, ctx.RequestAborted)));
        app.MapGet("/api/videos/{jobId}", Door<GetVideoJob>((f, ctx) => f.RunAsync(ctx.Request, durable, (string)ctx.GetRouteValue("jobId")!, ctx.RequestAborted)));
        app.MapGet("/api/videos", Door<ListVideoJobs>((f, ctx) => f.RunAsync(ctx.Request, durable, ctx.RequestAborted)));
        app.MapGet("/api/videos/{jobId}/video", Door<DownloadVideo>((f, ctx) => f.RunAsync(ctx.Request, durable, (string)ctx.GetRouteValue("jobId")!, ctx.RequestAborted)));
        app.MapPost("/api/videos/{jobId}/resume", Door<ResumeVideoJob>((f, ctx) => f.RunAsync(ctx.Request, durable, (string)ctx.GetRouteValue("jobId")!, ctx.RequestAborted)));
        app.MapPost("/api/videos/{jobId}/cancel", Door<CancelVideoJob>((f, ctx) => f.RunAsync(ctx.Request, durable, (string)ctx.GetRouteValue("jobId")!, ctx.RequestAborted)));
        app.MapGet("/api/health", Door<GetHealth>((f, ctx) => f.RunAsync(ctx.Request, ctx.RequestAborted)));
        app.MapGet("/api/budget", Door<GetBudget>((f, ctx) => f.RunAsync(ctx.Request, ctx.RequestAborted)));
        app.MapPost("/api/manifests/run", Door<RunManifest>((f, ctx) => f.RunAsync(ctx.Request, durable, ctx.RequestAborted)));
        app.MapPost("/api/fal/webhook", Door<ReceiveFalWebhook>((f, ctx) => f.RunAsync(ctx.Request, durable, ctx.RequestAborted)));
        app.MapGet("/api/openapi.json", Door<GetOpenApi>((f, ctx) => Task.FromResult(f.Run(ctx.Request))));

        await app.StartAsync();
        return new FunctionsHttpHost(app, new Uri($"http://127.0.0.1:{port}"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static RequestDelegate Door<TFunction>(Func<TFunction, HttpContext, Task<IActionResult>> invoke) => async context =>
    {
        var function = ActivatorUtilities.CreateInstance<TFunction>(context.RequestServices);
        var result = await invoke(function, context);
        await result.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
    };
}
