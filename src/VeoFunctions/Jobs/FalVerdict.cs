namespace VeoFunctions.Jobs;

/// <summary>How fal's work on a request ended, as far as the job knows.</summary>
internal enum FalVerdictKind
{
    /// <summary>fal finished and named the video.</summary>
    Video,

    /// <summary>fal finished successfully; the video is named by the result, which is still to be read.</summary>
    Finished,

    /// <summary>fal said there is no video: the generation failed (or was stopped by a cancel).</summary>
    Failed,

    /// <summary>The job stopped waiting without fal's last word (deadline, a cancel's grace); fal may still deliver.</summary>
    Unknown,
}

/// <summary>
/// What the job knows of fal's outcome; derived in the orchestrator from recorded events and activity results.
/// <see cref="Unbilled"/>: fal's failure is one it does not bill (a 5xx, a request it dropped or removed from its queue).
/// </summary>
internal sealed record FalVerdict(FalVerdictKind Kind, FalOutcome? Video, string? Reason, bool Unbilled = false)
{
    // fal's error types for ends it does not bill: its infrastructure (5xx), a request that never started (its start
    // timeout), one removed from the queue by a cancel (499).
    private static readonly HashSet<string> UnbilledErrorTypes = ["internal_error", "runner_disconnected", "request_timeout", "client_cancelled", "startup_timeout", "service_unavailable"];

    public bool HasVideo => Kind is FalVerdictKind.Video or FalVerdictKind.Finished;

    public static FalVerdict Finished { get; } = new(FalVerdictKind.Finished, null, null);

    public static FalVerdict Failed(string reason, bool unbilled = false) => new(FalVerdictKind.Failed, null, reason, unbilled);

    /// <summary>What a completed status says: the video to read, or fal's failure.</summary>
    public static FalVerdict From(FalProgress completed) => completed.Error is { } error
        ? Failed(error, completed.ErrorType is { } type && UnbilledErrorTypes.Contains(type))
        : Finished;

    public static FalVerdict Unknown(string reason) => new(FalVerdictKind.Unknown, null, reason);

    /// <summary>What a verified webhook says. An OK delivery without the video (fal could not inline it) is finished.</summary>
    public static FalVerdict From(FalWebhookEvent delivered, DateTimeOffset at) =>
        !delivered.Ok ? Failed(delivered.Error ?? "fal reported the generation failed.", delivered.StatusCode is >= 500 or 499)
        : delivered.VideoUrl is not null ? new(FalVerdictKind.Video, new FalOutcome(delivered.VideoUrl, delivered.ContentType, delivered.FileSize, null, at), null)
        : Finished;
}
