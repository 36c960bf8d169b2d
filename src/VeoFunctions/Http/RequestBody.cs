using Microsoft.AspNetCore.Http;

namespace VeoFunctions.Http;

/// <summary>Reads a request body up to a limit, never trusting Content-Length alone.</summary>
public static class RequestBody
{
    /// <summary>
    /// The body, or null when it is longer than <paramref name="limit"/> bytes, or longer than the server's own cap
    /// (Kestrel's MaxRequestBodySize): either way the caller answers 413, never 500.
    /// </summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // The server's cap was reached first (KestrelRequestLimits keeps it above ours, but a host may lower it).
            return null;
        }

        return buffer.ToArray();
    }
}
