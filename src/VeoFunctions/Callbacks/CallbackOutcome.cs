namespace VeoFunctions.Callbacks;

/// <summary>
/// How a callback ended: <see cref="Delivered"/> when the receiver answered 2xx; otherwise <see cref="Error"/> says why
/// it never will be (the receiver refused it with a 4xx, or the URL is not allowed). A receiver that is merely down is
/// not an outcome: the delivery throws <see cref="CallbackDeliveryException"/> and is tried again.
/// </summary>
/// <param name="Delivered">Whether the receiver accepted the callback.</param>
/// <param name="StatusCode">The receiver's HTTP status, when it answered.</param>
/// <param name="Error">One sentence saying why it was not delivered; null when it was.</param>
public sealed record CallbackOutcome(bool Delivered, int? StatusCode, string? Error);
