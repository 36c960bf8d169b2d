using System.Net;

namespace Fal;

/// <summary>
/// fal answered with an error. Carries what fal said (detail, error type, request id) so the caller can
/// tell the user one clear sentence and decide whether a retry is safe.
/// </summary>
public class FalApiException : Exception
{
    public FalApiException(string message) : base(message) { }

    public FalApiException(string message, Exception innerException) : base(message, innerException) { }

    public FalApiException(HttpStatusCode statusCode, FalErrorDetail error, string? requestId, bool? retryableHint, TimeSpan? retryAfter = null)
        : base(error.Describe((int)statusCode))
    {
        StatusCode = statusCode;
        Error = error;
        RequestId = requestId;
        RetryableHint = retryableHint;
        RetryAfter = retryAfter;
    }

    /// <summary>The HTTP status fal answered.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>fal's error body, parsed.</summary>
    public FalErrorDetail Error { get; } = FalErrorDetail.Empty;

    /// <summary>The <c>x-fal-request-id</c> header, when fal sent one.</summary>
    public string? RequestId { get; }

    /// <summary>fal's own <c>X-Fal-Retryable</c> hint, when sent.</summary>
    public bool? RetryableHint { get; }

    /// <summary>How long fal asked us to wait (Retry-After), when it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// True for errors fal documents as transient: 429 and 502/503/504 (not a user-set start timeout),
    /// unless fal itself said the error is not retryable.
    /// </summary>
    public bool IsTransient => RetryableHint ?? (FalRetry.IsTransientStatus(StatusCode) && !Error.IsUserRequestTimeout);

    /// <summary>True when fal rejected the input itself (422): retrying the same input can never succeed.</summary>
    public bool IsValidationError => StatusCode == HttpStatusCode.UnprocessableEntity;
}
