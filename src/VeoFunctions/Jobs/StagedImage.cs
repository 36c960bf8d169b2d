namespace VeoFunctions.Jobs;

/// <summary>An image checked by its bytes and written to the work container.</summary>
public sealed record StagedImage(int Index, string BlobName, string ContentType, long Bytes, int Width, int Height);
