using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization.Metadata;

namespace Fal;

/// <summary>
/// The one place that talks HTTP to fal: adds the key, turns non-success answers into
/// <see cref="FalApiException"/> with fal's detail, and reads JSON with source-generated metadata.
/// </summary>
internal static class FalHttp
{
    public static void Authorize(HttpRequestMessage request, FalOptions options) => Authorize(request, options.Key);

    public static void Authorize(HttpRequestMessage request, string key) =>
        request.Headers.Authorization = new AuthenticationHeaderValue("Key", key);

    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task<FalApiException> ToExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string body = await ReadBoundedAsync(response, cancellationToken).ConfigureAwait(false);
        var error = FalErrorDetail.Parse(body, Header(response, "X-Fal-Error-Type"), Header(response, "x-fal-request-timeout-type"));
        bool? retryable = bool.TryParse(Header(response, "X-Fal-Retryable"), out bool r) ? r : null;
        TimeSpan? retryAfter = response.Headers.RetryAfter?.Delta
            ?? (response.Headers.RetryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        return new FalApiException(response.StatusCode, error, Header(response, "x-fal-request-id"), retryable, retryAfter);
    }

    public static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var value = await response.Content.ReadFromJsonAsync(typeInfo, cancellationToken).ConfigureAwait(false);
        return value ?? throw new FalApiException($"fal answered {(int)response.StatusCode} with an empty body where JSON was expected.");
    }

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? values.FirstOrDefault()
            : null;

    // Error bodies are small; never let an upstream make us read an unbounded one.
    private static async Task<string> ReadBoundedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        const int Limit = 64 * 1024;
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[Limit];
            int total = 0, read;
            while (total < Limit && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }

            return System.Text.Encoding.UTF8.GetString(buffer, 0, total);
        }
    }
}
