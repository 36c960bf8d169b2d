namespace VeoFunctions.Images;

/// <summary>
/// Downloading an image failed for a reason that is probably not the user's fault and may go away:
/// timeouts, 408/429/5xx answers, connection resets, DNS hiccups. Kept apart from
/// <see cref="ImageRejectedException"/> so callers (for example a durable activity's retry policy)
/// can retry these and only these.
/// </summary>
public sealed class ImageDownloadException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public ImageDownloadException()
        : this("The image could not be downloaded right now.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">One user-facing sentence.</param>
    public ImageDownloadException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    /// <param name="message">One user-facing sentence.</param>
    /// <param name="innerException">The underlying failure.</param>
    public ImageDownloadException(string message, Exception? innerException)
        : this(message, isTransient: true, retryAfter: null, sourceUrl: null, innerException)
    {
    }

    /// <summary>Creates the exception with all details.</summary>
    /// <param name="message">One user-facing sentence.</param>
    /// <param name="isTransient">Whether a retry may succeed.</param>
    /// <param name="retryAfter">The server's <c>Retry-After</c> hint, if any.</param>
    /// <param name="sourceUrl">The URL with its query string redacted.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public ImageDownloadException(string message, bool isTransient, TimeSpan? retryAfter, string? sourceUrl, Exception? innerException = null)
        : base(message, innerException)
    {
        IsTransient = isTransient;
        RetryAfter = retryAfter;
        SourceUrl = sourceUrl;
    }

    /// <summary>Whether retrying later may succeed. Every failure the downloader raises this way is transient.</summary>
    public bool IsTransient { get; }

    /// <summary>How long the server asked us to wait (429/503 <c>Retry-After</c>), if it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The image URL with its query string redacted.</summary>
    public string? SourceUrl { get; }
}
