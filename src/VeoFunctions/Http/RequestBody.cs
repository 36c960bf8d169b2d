using Microsoft.AspNetCore.Http;

namespace VeoFunctions.Http;

/// <summary>Why a request body could not be taken.</summary>
public enum BodyFailure
{
    /// <summary>The body was read whole.</summary>
    None,

    /// <summary>Longer than the limit (declared or counted), or than the server's own cap: 413.</summary>
    TooLarge,

    /// <summary>Not all there before the deadline (or the server's minimum data rate): 408.</summary>
    TimedOut,

    /// <summary>Cut short, malformed framing, or the caller went away mid-body: 400.</summary>
    Unreadable,
}

/// <summary>A body read by <see cref="RequestBody"/>: its bytes, or why there are none.</summary>
public sealed record BodyRead(byte[]? Bytes, BodyFailure Failure)
{
    public static BodyRead Failed(BodyFailure failure) => new(null, failure);
}

/// <summary>
/// Reads a request body up to a limit, never trusting Content-Length alone, optionally under a deadline. Whatever the
/// client does with the body (too much, too slow, cut short) is the client's failure, answered 4xx, never an exception
/// the host would answer 500.
/// </summary>
public static class RequestBody
{
    public static async Task<BodyRead> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken, TimeSpan? deadline = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > limit)
        {
            return BodyRead.Failed(BodyFailure.TooLarge);
        }

        using var timeout = deadline is { } d ? new CancellationTokenSource(d, time ?? TimeProvider.System) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, linked.Token).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return BodyRead.Failed(BodyFailure.TooLarge);
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own verdicts: its cap (KestrelRequestLimits keeps it above ours, but a host may lower it), its
            // minimum data rate, or a body that ended before its Content-Length or last chunk.
            return BodyRead.Failed(ex.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => BodyFailure.TooLarge,
                StatusCodes.Status408RequestTimeout => BodyFailure.TimedOut,
                _ => BodyFailure.Unreadable,
            });
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return BodyRead.Failed(BodyFailure.TimedOut);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // The connection was reset or aborted mid-body: nobody may be listening, but the answer (and what the
            // host records for it) is the client's 400, not our 500.
            return BodyRead.Failed(BodyFailure.Unreadable);
        }

        return new BodyRead(buffer.ToArray(), BodyFailure.None);
    }
}
