using VeoFunctions.Jobs;

namespace VeoFunctions.Archive;

/// <summary>
/// The <c>{jobId}.json</c> written beside the video: what was asked, what fal did, when, how big, and what it cost
/// (the estimate, and fal's billed cost once known: the manifest is updated then).
/// </summary>
public sealed record VideoManifest(
    string JobId,
    string FalRequestId,
    string Endpoint,
    VideoRequest Input,
    int ReferenceImages,
    VideoManifestTimings Timings,
    string VideoBlob,
    long Bytes,
    string ContentType,
    Money.JobCost? Cost = null);

public sealed record VideoManifestTimings(DateTimeOffset CreatedAt, DateTimeOffset SubmittedAt, DateTimeOffset? CompletedAt, DateTimeOffset ArchivedAt);

/// <summary>What the archive activity needs: the video's URL at fal and the facts for the manifest.</summary>
public sealed record ArchiveRequest(
    string JobId,
    string FalRequestId,
    string VideoUrl,
    long? ExpectedBytes,
    VideoRequest Input,
    int ReferenceImages,
    DateTimeOffset CreatedAt,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? CompletedAt,
    Money.JobCost? Cost = null);
