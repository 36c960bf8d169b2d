namespace VeoFunctions.Jobs;

/// <summary>
/// The orchestration's input: small, references only. The members after <see cref="RequestFingerprint"/> came with
/// version 2.0: where to report (a signed callback, a manifest's result file), fal's queue priority, and the door's
/// cost estimate with the budget day it reserved.
/// </summary>
public sealed record VideoJobInput(
    string JobId,
    VideoRequest Request,
    IReadOnlyList<ImageSource> Images,
    Uri WebhookUrl,
    JobTiming Timing,
    DateTimeOffset CreatedAt,
    string? RequestFingerprint = null,
    JobCallback? Callback = null,
    string? Priority = null,
    ManifestEntry? Manifest = null,
    Money.JobQuote? Quote = null);
