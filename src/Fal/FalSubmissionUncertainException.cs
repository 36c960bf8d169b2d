namespace Fal;

/// <summary>
/// A submit failed in a way that fal may already have accepted the request (a timeout or reset after
/// the body was sent, a 5xx carrying a request id). fal has no idempotency key, so retrying could bill
/// twice: the caller must not resubmit blindly.
/// </summary>
public sealed class FalSubmissionUncertainException : FalApiException
{
    public FalSubmissionUncertainException(string message, Exception innerException) : base(message, innerException) { }
}
