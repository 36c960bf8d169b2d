using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fal.Storage;

/// <summary>
/// Uploads a file to fal's CDN the way fal's clients do: initiate (with the key) to get a signed upload
/// URL and the file's final URL, then PUT the bytes to the upload URL (without the key).
/// </summary>
public sealed partial class FalStorageClient(HttpClient http, IOptions<FalOptions> options, TimeProvider time, ILogger<FalStorageClient> logger)
{
    private readonly FalOptions _options = options.Value;
    private readonly FalRetry _retry = new(options.Value, time);

    /// <summary>
    /// Uploads <paramref name="content"/> and returns the URL to hand to a model. The file lives as long as
    /// <see cref="FalOptions.UploadLifetime"/> says, or as the account's storage settings say when that is unset.
    /// </summary>
    public Task<Uri> UploadAsync(ReadOnlyMemory<byte> content, string contentType, string fileName, CancellationToken cancellationToken = default) =>
        UploadAsync(content, contentType, fileName, null, cancellationToken);

    /// <summary>
    /// Uploads <paramref name="content"/>, asking fal's CDN to delete it after <paramref name="lifetime"/> (whole seconds,
    /// rounded up; <c>X-Fal-Object-Lifecycle</c>). A null lifetime falls back to <see cref="FalOptions.UploadLifetime"/>;
    /// with neither, no lifecycle is sent and the account's settings decide. Never sent as null: a null expiration has
    /// been seen to get files deleted within minutes.
    /// </summary>
    public async Task<Uri> UploadAsync(ReadOnlyMemory<byte> content, string contentType, string fileName, TimeSpan? lifetime, CancellationToken cancellationToken = default)
    {
        lifetime ??= _options.UploadLifetime;
        if (lifetime is { } given)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(given, TimeSpan.Zero, nameof(lifetime));
        }

        var target = await _retry.ExecuteAsync(ct => InitiateAsync(contentType, fileName, lifetime, ct), ex => IsRetryable(ex, cancellationToken), cancellationToken).ConfigureAwait(false);
        await _retry.ExecuteAsync(async ct =>
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, target.UploadUrl) { Content = new ReadOnlyMemoryContent(content) };
            put.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            using var response = await FalHttp.SendAsync(http, put, ct).ConfigureAwait(false);
            return true;
        }, ex => IsRetryable(ex, cancellationToken), cancellationToken).ConfigureAwait(false);

        Log.Uploaded(logger, content.Length, contentType);
        return target.FileUrl;
    }

    private async Task<(Uri UploadUrl, Uri FileUrl)> InitiateAsync(string contentType, string fileName, TimeSpan? lifetime, CancellationToken cancellationToken)
    {
        var url = new Uri($"{_options.RestBaseUrl.AbsoluteUri.TrimEnd('/')}/storage/upload/initiate?storage_type=fal-cdn-v3");
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = JsonContent.Create(new InitiateUploadRequest(contentType, fileName), FalWireJsonContext.Default.InitiateUploadRequest),
        };
        FalHttp.Authorize(request, _options);
        if (lifetime is { } keep)
        {
            var lifecycle = new ObjectLifecycle((long)Math.Ceiling(keep.TotalSeconds));
            request.Headers.Add("X-Fal-Object-Lifecycle", JsonSerializer.Serialize(lifecycle, FalWireJsonContext.Default.ObjectLifecycle));
        }

        using var response = await FalHttp.SendAsync(http, request, cancellationToken).ConfigureAwait(false);
        var body = await FalHttp.ReadJsonAsync(response, FalWireJsonContext.Default.InitiateUploadResponse, cancellationToken).ConfigureAwait(false);
        if (!Uri.TryCreate(body.UploadUrl, UriKind.Absolute, out var upload) || !Uri.TryCreate(body.FileUrl, UriKind.Absolute, out var file))
        {
            throw new FalApiException("fal's upload initiate answer lacked a valid upload_url or file_url.");
        }

        return (upload, file);
    }

    private static bool IsRetryable(Exception ex, CancellationToken callerToken) =>
        ex is FalApiException api ? api.IsTransient : FalRetry.IsTransportFailure(ex, callerToken);

    private static partial class Log
    {
        [LoggerMessage(1101, LogLevel.Information, "Uploaded {Bytes} bytes of {ContentType} to fal storage")]
        public static partial void Uploaded(ILogger logger, int bytes, string contentType);
    }
}

internal sealed record InitiateUploadRequest(
    [property: JsonPropertyName("content_type")] string ContentType,
    [property: JsonPropertyName("file_name")] string FileName);

// fal's lifecycle header value; initial_acl is not used here and so never sent.
internal sealed record ObjectLifecycle([property: JsonPropertyName("expiration_duration_seconds")] long ExpirationDurationSeconds);

internal sealed record InitiateUploadResponse(
    [property: JsonPropertyName("upload_url")] string? UploadUrl,
    [property: JsonPropertyName("file_url")] string? FileUrl);
