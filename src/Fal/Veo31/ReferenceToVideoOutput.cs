using System.Text.Json.Serialization;

namespace Fal.Veo31;

/// <summary>The output of <c>fal-ai/veo3.1/reference-to-video</c>: the generated MP4 on fal's CDN.</summary>
public sealed record ReferenceToVideoOutput([property: JsonPropertyName("video")] FalFile? Video);

/// <summary>A file fal produced.</summary>
public sealed record FalFile(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("content_type")] string? ContentType = null,
    [property: JsonPropertyName("file_name")] string? FileName = null,
    [property: JsonPropertyName("file_size")] long? FileSize = null);
