namespace VeoFunctions.Jobs;

/// <summary>The orchestration's input: small, references only.</summary>
public sealed record VideoJobInput(
    string JobId,
    VideoRequest Request,
    IReadOnlyList<ImageSource> Images,
    Uri WebhookUrl,
    JobTiming Timing,
    DateTimeOffset CreatedAt,
    string? RequestFingerprint = null);
