namespace VeoFunctions.Images;

/// <summary>
/// An image whose bytes have been fetched (or decoded from a data: URI) and inspected. The bytes are
/// held in memory: at most <see cref="ImageOptions.MaxImageBytes"/> each, so that is affordable, and it
/// means what we upload to fal is exactly what we inspected.
/// </summary>
/// <param name="Bytes">The raw bytes, unmodified.</param>
/// <param name="Image">Format and dimensions, from the bytes.</param>
/// <param name="DeclaredContentType">
/// What the server or data: URI claimed the type was; informational only (see
/// <see cref="InspectedImage.MatchesContentType(string?)"/>).
/// </param>
public sealed record DownloadedImage(ReadOnlyMemory<byte> Bytes, InspectedImage Image, string? DeclaredContentType);
