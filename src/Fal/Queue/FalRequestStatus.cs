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

/// <summary>
/// What fal answered to a cancel. fal's documented statuses are <c>OK</c>, <c>CANCELLATION_REQUESTED</c>,
/// <c>ALREADY_COMPLETED</c> and <c>NOT_FOUND</c>. Cancellation is best effort: a queued request is removed, a running one
/// is only signalled and the model app decides whether to stop (and may finish and bill). So none of these says the
/// request stopped; watch its status for COMPLETED.
/// </summary>
public enum FalCancelOutcome
{
    /// <summary>
    /// fal took the cancel (a 2xx: <c>CANCELLATION_REQUESTED</c> or <c>OK</c>). It means "asked", not "stopped": fal
    /// does not document a difference between the two words, so they are not told apart here.
    /// </summary>
    CancellationRequested,

    /// <summary>The request had already finished (<c>ALREADY_COMPLETED</c>): its result, or its error, is there to fetch.</summary>
    AlreadyCompleted,

    /// <summary>fal does not know the request (<c>NOT_FOUND</c>, or a 404).</summary>
    NotFound,
}
