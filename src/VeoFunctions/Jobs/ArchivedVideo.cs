namespace VeoFunctions.Jobs;

/// <summary>
/// Where the video now lives. <see cref="BlobUrl"/> is private to the storage account; <see cref="DownloadUrl"/>, a
/// short-lived read link until <see cref="DownloadUrlExpiresAt"/>, is added only when a status document is served
/// (<see cref="Storage.VideoLinks"/>) and is never stored: in durable state both are null.
/// </summary>
public sealed record ArchivedVideo(
    string Container,
    string BlobName,
    Uri BlobUrl,
    string ManifestBlobName,
    long Bytes,
    string ContentType,
    Uri? DownloadUrl = null,
    DateTimeOffset? DownloadUrlExpiresAt = null);
