namespace Veo.Cli.Api;

/// <summary>
/// Where a job's video was archived. <see cref="BlobUrl"/> is private to the storage account;
/// <see cref="DownloadUrl"/> is the short-lived read link anyone holding it can use.
/// </summary>
public sealed record JobVideo(
    string Container,
    string BlobName,
    Uri? BlobUrl,
    string? ManifestBlobName,
    long Bytes,
    string? ContentType,
    Uri? DownloadUrl,
    DateTimeOffset? DownloadUrlExpiresAt);
