namespace Fal;

/// <summary>
/// A submit failed in a way that fal may already have accepted the request: any 5xx (with or without a
/// request id: an edge in front of fal can answer 502 after forwarding it), a timeout or reset after the body
/// may have left, a 2xx whose answer could not be read. fal has no idempotency key, so retrying could bill
/// twice: the caller must not resubmit blindly (fal's webhook, or its request history, can name the request).
/// </summary>
public sealed class FalSubmissionUncertainException : FalApiException
{
    public FalSubmissionUncertainException(string message, Exception innerException) : base(message, innerException) { }
}
