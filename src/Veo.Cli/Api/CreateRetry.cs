namespace Veo.Cli.Api;

/// <summary>A create about to be sent again with the same Idempotency-Key, and why.</summary>
public sealed record CreateRetry(int Attempt, TimeSpan Delay, string Reason);
