using VeoFunctions.Images;

namespace VeoFunctions.Jobs;

/// <summary>A reference image as it arrived: a URL still to fetch, or bytes already checked.</summary>
public sealed record DraftImage(int Index, Uri? Url, ReadOnlyMemory<byte> Bytes, InspectedImage? Inspected);

/// <summary>A validated request, ready to schedule. Nothing has been written or spent yet.</summary>
public sealed record VideoJobDraft(VideoRequest Request, IReadOnlyList<DraftImage> Images);
