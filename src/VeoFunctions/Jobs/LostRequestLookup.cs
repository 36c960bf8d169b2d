namespace VeoFunctions.Jobs;

/// <summary>
/// What fal's request list said: the job's request (now on the ledger), or that a complete listing did not show it
/// (<see cref="Found"/> null, <see cref="Error"/> null), or why the list could not be read.
/// </summary>
public sealed record LostRequestLookup(FalJob? Found, string? Error);
