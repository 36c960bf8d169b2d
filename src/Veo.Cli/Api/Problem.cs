namespace Veo.Cli.Api;

/// <summary>
/// An RFC 7807 problem as the app answers every error; <see cref="Errors"/> names fields on a 400, <see cref="ResetsAt"/>
/// when the daily budget renews on a 402.
/// </summary>
public sealed record Problem(
    string? Type,
    string? Title,
    string? Detail,
    int? Status,
    IReadOnlyDictionary<string, string[]>? Errors,
    DateTimeOffset? ResetsAt = null)
{
    /// <summary>
    /// True for the app's "a request with this key is still starting the job" answer: a 409 of type
    /// <c>idempotency-key-in-progress</c> (a 503 of type <c>starting</c> before the app followed the IETF draft).
    /// </summary>
    public bool IsStarting => Type?.EndsWith("/idempotency-key-in-progress", StringComparison.Ordinal) == true || Type?.EndsWith("/starting", StringComparison.Ordinal) == true;
}
