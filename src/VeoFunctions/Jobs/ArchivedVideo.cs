namespace VeoFunctions.Jobs;

/// <summary>Where the video now lives.</summary>
public sealed record ArchivedVideo(string Container, string BlobName, Uri BlobUrl, string ManifestBlobName, long Bytes, string ContentType);
