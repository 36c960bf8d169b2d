namespace VeoFunctions.Jobs;

/// <summary>
/// A reference image. A URL is fetched and checked by the orchestration; a <c>data:</c> image was checked by
/// the starter and written to the work container, so only its blob name travels through durable state.
/// </summary>
public sealed record ImageSource(int Index, string? Url, StagedImage? Staged);
