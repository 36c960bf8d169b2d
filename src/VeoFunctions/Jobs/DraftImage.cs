using VeoFunctions.Images;

namespace VeoFunctions.Jobs;

/// <summary>
/// A reference image as it arrived: a URL still to fetch, bytes already checked, or (from a manifest) a blob of the
/// app's own storage still to read and check — or checked already, by its version (<see cref="BlobVersion"/>, the ETag
/// it had when checked): a batch keeps blob names, not bytes, and the blob is copied into staging when the job
/// starts, only if it is still that version.
/// </summary>
public sealed record DraftImage(int Index, Uri? Url, ReadOnlyMemory<byte> Bytes, InspectedImage? Inspected, BlobImage? Blob = null, string? BlobVersion = null);
