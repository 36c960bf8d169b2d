using VeoFunctions.Images;

namespace VeoFunctions.Jobs;

/// <summary>
/// A reference image as it arrived: a URL still to fetch, bytes already checked, or (from a manifest) a blob of the
/// app's own storage still to read and check.
/// </summary>
public sealed record DraftImage(int Index, Uri? Url, ReadOnlyMemory<byte> Bytes, InspectedImage? Inspected, BlobImage? Blob = null);
