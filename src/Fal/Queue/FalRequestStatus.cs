namespace Fal.Queue;

/// <summary>Where a request is in fal's queue. There is no FAILED: a failure is COMPLETED with an error.</summary>
public enum FalRequestState
{
    /// <summary>A status fal added after this client was written; treat as not finished.</summary>
    Unknown,
    InQueue,
    InProgress,
    Completed,
}

/// <summary>One log line fal reports for a running request.</summary>
public sealed record FalLogEntry(string Message, string? Level, string? Timestamp);

/// <summary>A status answer. <see cref="Error"/> set on a COMPLETED request means it failed.</summary>
public sealed record FalRequestStatus(
    FalRequestState State,
    int? QueuePosition,
    IReadOnlyList<FalLogEntry> Logs,
    double? InferenceTimeSeconds,
    string? Error,
    string? ErrorType)
{
    public bool IsCompleted => State == FalRequestState.Completed;

    public bool HasFailed => IsCompleted && (Error is not null || ErrorType is not null);
}

/// <summary>What a cancel achieved. Cancellation is best effort.</summary>
public enum FalCancelOutcome
{
    CancellationRequested,
    AlreadyCompleted,
    NotFound,
}
