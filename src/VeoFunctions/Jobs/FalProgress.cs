namespace VeoFunctions.Jobs;

/// <summary>
/// fal's status as the orchestrator needs it; a completed request may carry fal's error (one sentence), and a
/// running one its latest log lines.
/// </summary>
public sealed record FalProgress(bool Completed, bool Started, int? QueuePosition, string? Error = null, IReadOnlyList<string>? Logs = null);
