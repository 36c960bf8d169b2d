namespace VeoFunctions.Jobs;

/// <summary>
/// A reference image. A URL is fetched and checked by the orchestration; a <c>data:</c> image was checked by
/// the starter and written to the work container, so only its blob name travels through durable state.
/// </summary>
public sealed record ImageSource(int Index, string? Url, StagedImage? Staged);

/// <summary>An image checked by its bytes and written to the work container.</summary>
public sealed record StagedImage(int Index, string BlobName, string ContentType, long Bytes, int Width, int Height);

/// <summary>
/// How long and how often to wait and retry. Computed from options by the starter and carried in the input,
/// because the orchestrator may not read configuration (a replay must see the values the first run saw).
/// </summary>
public sealed record JobTiming(
    TimeSpan FirstStatusCheck,
    TimeSpan MaxStatusCheckInterval,
    TimeSpan Deadline,
    TimeSpan FirstRetryInterval,
    int MaxActivityAttempts);

/// <summary>The orchestration's input: small, references only.</summary>
public sealed record VideoJobInput(
    string JobId,
    VideoRequest Request,
    IReadOnlyList<ImageSource> Images,
    Uri WebhookUrl,
    JobTiming Timing,
    DateTimeOffset CreatedAt,
    string? RequestFingerprint = null);

/// <summary>A request fal accepted, as kept with the job the moment submit answered.</summary>
public sealed record FalJob(string RequestId, Uri StatusUrl, Uri ResponseUrl, Uri CancelUrl, int? QueuePosition, DateTimeOffset SubmittedAt);

/// <summary>
/// What the submit step knows: the request fal accepted, or why fal's answer is unknown. In the second case fal
/// may still have the request; its webhook, whose URL names the job, will say which it is.
/// </summary>
public sealed record SubmitResult(FalJob? Accepted, string? AnswerLost);

/// <summary>What fal finally said: a video, or one sentence why not.</summary>
public sealed record FalOutcome(string? VideoUrl, string? ContentType, long? FileSize, string? Error, DateTimeOffset? CompletedAt = null)
{
    public bool Succeeded => VideoUrl is not null && Error is null;

    public static FalOutcome Failed(string error) => new(null, null, null, error);
}

/// <summary>fal's status as the orchestrator needs it; a completed request may carry fal's error (one sentence).</summary>
public sealed record FalProgress(bool Completed, bool Started, int? QueuePosition, string? Error = null);

/// <summary>The verified webhook, reduced to what the orchestrator needs (raised as an external event).</summary>
public sealed record FalWebhookEvent(string RequestId, bool Ok, string? VideoUrl, string? ContentType, long? FileSize, string? Error);

/// <summary>Where the video now lives.</summary>
public sealed record ArchivedVideo(string Container, string BlobName, Uri BlobUrl, string ManifestBlobName, long Bytes, string ContentType);

/// <summary>The orchestration's output.</summary>
public sealed record VideoJobResult(string FalRequestId, ArchivedVideo Video);
