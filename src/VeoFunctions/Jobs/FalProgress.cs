namespace VeoFunctions.Jobs;

/// <summary>
/// fal's status as the orchestrator needs it; a completed request may carry fal's error (one sentence), and a
/// running one its latest log lines. <see cref="ErrorType"/> is fal's error type for a failed one
/// (<c>runner_disconnected</c>, <c>client_cancelled</c>…), which tells an infrastructure failure fal does not bill.
/// </summary>
public sealed record FalProgress(bool Completed, bool Started, int? QueuePosition, string? Error = null, IReadOnlyList<string>? Logs = null, string? ErrorType = null);
