using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FalEmulator;

/// <summary>fal storage (CDN v3 style): initiate, PUT upload (single and multipart), file GET; plus the JWKS.</summary>
internal static class StorageEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/storage/upload/initiate", (HttpContext c, EmulatorState s) => InitiateAsync(c, s));
        app.MapPost("/storage/upload/initiate-multipart", (HttpContext c, EmulatorState s) => InitiateAsync(c, s));
        app.MapPut("/upload/{token}", UploadAsync);
        app.MapPut("/upload/{token}/{partNumber:int}", UploadPartAsync);
        app.MapPost("/upload/{token}/complete", CompleteMultipartAsync);
        app.MapMethods("/files/{fileId}/{**fileName}", ["GET", "HEAD"], GetFileAsync);
        app.MapGet("/.well-known/jwks.json", JwksAsync);
    }

    private static async Task InitiateAsync(HttpContext context, EmulatorState state)
    {
        state.Count(RequestKind.UploadInitiate);
        if (!await FalHttp.AuthorizeAsync(context, state).ConfigureAwait(false)
            || await FalHttp.InjectCallFaultAsync(context, state, RequestKind.UploadInitiate, null).ConfigureAwait(false))
        {
            return;
        }

        if (!ObjectLifecycle.TryRead(context.Request.Headers, out var lifecycle))
        {
            await FalHttp.DetailAsync(context, 400, "Invalid X-Fal-Object-Lifecycle header.", "bad_request").ConfigureAwait(false);
            return;
        }

        JsonObject? body = null;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false) as JsonObject;
        }
        catch (JsonException)
        {
        }

        var contentType = StringOf(body, "content_type") ?? "application/octet-stream";
        var fileName = StringOf(body, "file_name");
        if (string.IsNullOrWhiteSpace(fileName))
        {
            fileName = FileStore.NewId() + ".bin";
        }

        var upload = state.Files.Initiate(contentType, Path.GetFileName(fileName), lifecycle);
        var origin = FalHttp.Origin(context, state);
        await FalHttp.WriteJsonAsync(context, 200, new JsonObject
        {
            ["upload_url"] = $"{origin}/upload/{upload.Token}",
            ["file_url"] = $"{origin}/files/{upload.FileId}/{Uri.EscapeDataString(upload.FileName)}",
        }).ConfigureAwait(false);
    }

    private static async Task UploadAsync(HttpContext context, string token, EmulatorState state)
    {
        state.Count(RequestKind.UploadPut);
        if (await FalHttp.InjectCallFaultAsync(context, state, RequestKind.UploadPut, null).ConfigureAwait(false))
        {
            return;
        }

        if (state.Files.FindUpload(token) is not { } upload)
        {
            await FalHttp.DetailAsync(context, 404, "Unknown upload URL").ConfigureAwait(false);
            return;
        }

        var bytes = await ReadAllAsync(context).ConfigureAwait(false);
        state.Files.Store(upload, bytes, context.Request.ContentType);
        context.Response.Headers.ETag = ETag(bytes);
        context.Response.StatusCode = 200;
    }

    private static async Task UploadPartAsync(HttpContext context, string token, int partNumber, EmulatorState state)
    {
        state.Count(RequestKind.UploadPut);
        if (await FalHttp.InjectCallFaultAsync(context, state, RequestKind.UploadPut, null).ConfigureAwait(false))
        {
            return;
        }

        if (state.Files.FindUpload(token) is not { } upload)
        {
            await FalHttp.DetailAsync(context, 404, "Unknown upload URL").ConfigureAwait(false);
            return;
        }

        var bytes = await ReadAllAsync(context).ConfigureAwait(false);
        upload.Parts[partNumber] = bytes;
        context.Response.Headers.ETag = ETag(bytes);
        context.Response.StatusCode = 200;
    }

    private static async Task CompleteMultipartAsync(HttpContext context, string token, EmulatorState state)
    {
        if (state.Files.FindUpload(token) is not { } upload)
        {
            await FalHttp.DetailAsync(context, 404, "Unknown upload URL").ConfigureAwait(false);
            return;
        }

        using var all = new MemoryStream();
        foreach (var part in upload.Parts.OrderBy(p => p.Key))
        {
            all.Write(part.Value);
        }

        var file = state.Files.Store(upload, all.ToArray(), null);
        await FalHttp.WriteJsonAsync(context, 200, new JsonObject
        {
            ["file_url"] = $"{FalHttp.Origin(context, state)}/files/{file.Id}/{Uri.EscapeDataString(file.FileName)}",
        }).ConfigureAwait(false);
    }

    private static async Task GetFileAsync(HttpContext context, string fileId, EmulatorState state)
    {
        state.Count(RequestKind.FileGet);
        var fault = state.FaultBook.Take(Stage.Call, RequestKind.FileGet, null, null);
        if (fault is not null && fault.Kind != FaultKind.Stall)
        {
            await FalHttp.AnswerFaultAsync(context, state, fault, RequestKind.FileGet).ConfigureAwait(false);
            return;
        }

        if (state.Files.Find(fileId) is not { } file)
        {
            await FalHttp.DetailAsync(context, 404, "File not found").ConfigureAwait(false);
            return;
        }

        if (fault is not null)
        {
            await StallAsync(context, state, file, fault.Bytes).ConfigureAwait(false);
            return;
        }

        var stream = file.OpenRead();
        await Results.Stream(stream, file.ContentType, enableRangeProcessing: true).ExecuteAsync(context).ConfigureAwait(false);
    }

    /// <summary>A CDN transfer that stops: the whole Content-Length is promised, <paramref name="bytes"/> are sent, then nothing.</summary>
    private static async Task StallAsync(HttpContext context, EmulatorState state, StoredFile file, long bytes)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = file.ContentType;
        context.Response.ContentLength = file.Length;
        var stream = file.OpenRead();
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[81920];
            var left = Math.Clamp(bytes, 0, file.Length);
            try
            {
                await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
                while (left > 0)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), context.RequestAborted).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted).ConfigureAwait(false);
                    left -= read;
                }

                await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return; // the client went away
            }
        }

        await FalHttp.HoldAsync(context, state).ConfigureAwait(false);
    }

    private static async Task JwksAsync(HttpContext context, EmulatorState state)
    {
        state.Count(RequestKind.Jwks);
        if (await FalHttp.InjectCallFaultAsync(context, state, RequestKind.Jwks, null).ConfigureAwait(false))
        {
            return;
        }

        await FalHttp.WriteJsonAsync(context, 200, state.Keys.Jwks()).ConfigureAwait(false);
    }

    private static string? StringOf(JsonObject? body, string name) =>
        body?[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static async Task<byte[]> ReadAllAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static string ETag(byte[] bytes) => "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 16)) + "\"";
}
