using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace VeoFunctions.Tests.Images;

/// <summary>A real Kestrel server on 127.0.0.1 with an ephemeral port, serving good and hostile responses.</summary>
public sealed class ImageServerFixture : IAsyncLifetime
{
    private WebApplication? _app;
    private int _requests;

    public static byte[] Png { get; } = TestImages.Png(4, 3);

    /// <summary>For example <c>http://127.0.0.1:54321</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public int Port => BaseAddress.Port;

    public int RequestCount => Volatile.Read(ref _requests);

    public string Url(string pathAndQuery) => new Uri(BaseAddress, pathAndQuery).ToString();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref _requests);
            await next(context);
        });

        app.MapGet("/png", () => Results.Bytes(Png, "image/png"));
        app.MapGet("/jpeg-as-png", () => Results.Bytes(TestImages.Jpeg(64, 48), "image/png"));
        app.MapGet("/status/{code:int}", (int code) => Results.StatusCode(code));
        app.MapGet("/html-as-png", () => Results.Text("<!doctype html><html><body>Login required</body></html>", "image/png"));
        app.MapGet("/redirect", (string to) => Results.Redirect(to));
        app.MapGet("/redirect-loop", () => Results.Redirect("/redirect-loop"));
        app.MapGet("/big-chunked", async (HttpContext context) =>
        {
            // No Content-Length: the body is chunked and its size is only known by counting.
            context.Response.ContentType = "image/png";
            await context.Response.Body.WriteAsync(Png.AsMemory(0, 8), context.RequestAborted);
            var block = new byte[16 * 1024];
            for (int i = 0; i < 64; i++)
            {
                await context.Response.Body.WriteAsync(block, context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        });
        app.MapGet("/declared-huge", async (HttpContext context) =>
        {
            context.Response.ContentType = "image/png";
            context.Response.ContentLength = 100_000_000;
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        });
        app.MapGet("/slow", async (HttpContext context) =>
        {
            context.Response.ContentType = "image/png";
            foreach (byte b in Png.Concat(Enumerable.Repeat((byte)0, 1000)))
            {
                await context.Response.Body.WriteAsync(new[] { b }, context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(200, context.RequestAborted);
            }
        });
        app.MapGet("/gzip", async (HttpContext context) =>
        {
            var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(Png);
            }

            context.Response.ContentType = "image/png";
            context.Response.Headers.ContentEncoding = "gzip";
            await context.Response.Body.WriteAsync(compressed.ToArray(), context.RequestAborted);
        });

        await app.StartAsync();
        _app = app;
        BaseAddress = new Uri(app.Urls.First());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
