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
    /// <summary>True for the app's "a request with this key is still starting the job" answer.</summary>
    public bool IsStarting => Type?.EndsWith("/starting", StringComparison.Ordinal) == true;
}
