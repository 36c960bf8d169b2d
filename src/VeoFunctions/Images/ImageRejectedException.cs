namespace VeoFunctions.Images;

/// <summary>
/// The user's image cannot be used, and retrying will not help: a 4xx answer, a disallowed URL or
/// redirect, a private address, an oversized or non-image body. <see cref="Reason"/> is one sentence
/// that is safe to show the user; it never carries internal details or query strings.
/// </summary>
public sealed class ImageRejectedException : Exception
{
    /// <summary>Creates the exception with a generic reason.</summary>
    public ImageRejectedException()
        : this("The image was refused.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">One user-facing sentence.</param>
    public ImageRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a cause (kept for logs, not for the user).</summary>
    /// <param name="message">One user-facing sentence.</param>
    /// <param name="innerException">The underlying failure.</param>
    public ImageRejectedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a URL.</summary>
    /// <param name="message">One user-facing sentence.</param>
    /// <param name="sourceUrl">The URL with its query string redacted.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public ImageRejectedException(string message, string? sourceUrl, Exception? innerException = null)
        : base(message, innerException)
    {
        SourceUrl = sourceUrl;
    }

    /// <summary>One user-facing sentence explaining the refusal.</summary>
    public string Reason => Message;

    /// <summary>The image URL with its query string redacted, or <see langword="null"/> for inline images.</summary>
    public string? SourceUrl { get; }
}
