using System.Text.Json.Nodes;

namespace FalEmulator;

/// <summary>Downloads the reference images the way fal's runner would; failures become 422 detail items.</summary>
internal sealed class ImageFetcher(HttpClient http, FileStore files)
{
    public async Task<JsonArray> FetchAllAsync(FalRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var errors = new JsonArray();
        if (request.Input["image_urls"] is not JsonArray urls)
        {
            return errors;
        }

        for (var i = 0; i < urls.Count; i++)
        {
            var url = urls[i]?.GetValue<string>() ?? string.Empty;
            long? size = await TryFetchAsync(request.Origin, url, maxBytes, cancellationToken).ConfigureAwait(false);
            var loc = new JsonArray("body", "image_urls", i);
            if (size is null)
            {
                errors.Add(VeoInputSchema.Error(loc, $"Failed to download the file. Please check if the URL is accessible: {url}", "file_download_error", JsonValue.Create(url)));
            }
            else if (size > maxBytes)
            {
                errors.Add(VeoInputSchema.Error(loc, $"Image file size exceeds the maximum allowed size of {maxBytes} bytes.", "image_too_large", JsonValue.Create(url),
                    new JsonObject { ["max_size"] = maxBytes }));
            }
        }

        return errors;
    }

    /// <summary>Size of the downloaded file (may exceed <paramref name="maxBytes"/> by one byte), or null when it cannot be fetched.</summary>
    private async Task<long?> TryFetchAsync(string origin, string url, long maxBytes, CancellationToken cancellationToken)
    {
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = url.IndexOf(',', StringComparison.Ordinal);
            if (comma < 0)
            {
                return null;
            }

            var payload = url[(comma + 1)..];
            try
            {
                return url[..comma].EndsWith(";base64", StringComparison.OrdinalIgnoreCase) ? Convert.FromBase64String(payload).LongLength : payload.Length;
            }
            catch (FormatException)
            {
                return null;
            }
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return null;
        }

        // Our own CDN: resolve in-process (no HTTP, not counted as a file GET).
        if (url.StartsWith(origin + "/files/", StringComparison.OrdinalIgnoreCase))
        {
            var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
            return segments.Length >= 2 && files.Find(segments[1]) is { } file ? file.Length : null;
        }

        try
        {
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[81920];
                long total = 0;
                int read;
                while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                    if (total > maxBytes)
                    {
                        return total;
                    }
                }

                return total;
            }
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
