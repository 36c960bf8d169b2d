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

/// <summary>What the job knows of fal's outcome; derived in the orchestrator from recorded events and activity results.</summary>
internal sealed record FalVerdict(FalVerdictKind Kind, FalOutcome? Video, string? Reason)
{
    public bool HasVideo => Kind is FalVerdictKind.Video or FalVerdictKind.Finished;

    public static FalVerdict Finished { get; } = new(FalVerdictKind.Finished, null, null);

    public static FalVerdict Failed(string reason) => new(FalVerdictKind.Failed, null, reason);

    public static FalVerdict Unknown(string reason) => new(FalVerdictKind.Unknown, null, reason);

    /// <summary>What a verified webhook says. An OK delivery without the video (fal could not inline it) is finished.</summary>
    public static FalVerdict From(FalWebhookEvent delivered, DateTimeOffset at) =>
        !delivered.Ok ? Failed(delivered.Error ?? "fal reported the generation failed.")
        : delivered.VideoUrl is not null ? new(FalVerdictKind.Video, new FalOutcome(delivered.VideoUrl, delivered.ContentType, delivered.FileSize, null, at), null)
        : Finished;
}
