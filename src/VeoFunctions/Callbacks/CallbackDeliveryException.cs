namespace VeoFunctions.Callbacks;

/// <summary>
/// A callback attempt that failed in a way a later attempt may not: the receiver answered 5xx, 408 or 429, took too
/// long, or could not be reached. Thrown so the orchestrator's durable retry policy tries again with backoff; the
/// message is one sentence, safe to show (the URL's query is redacted).
/// </summary>
public sealed class CallbackDeliveryException : Exception
{
    public CallbackDeliveryException() { }

    public CallbackDeliveryException(string message) : base(message) { }

    public CallbackDeliveryException(string message, Exception? innerException) : base(message, innerException) { }

    public CallbackDeliveryException(string message, int? statusCode, Exception? innerException = null)
        : base(message, innerException) => StatusCode = statusCode;

    /// <summary>The receiver's HTTP status, when it answered.</summary>
    public int? StatusCode { get; }
}
