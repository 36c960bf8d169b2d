using System.Text.Json.Serialization;

namespace Fal.Veo31;

/// <summary>
/// The input of <c>fal-ai/veo3.1/reference-to-video</c>, as fal's model page and current typings define it.
/// The whole schema lives here so a change at fal is a change in this file.
/// </summary>
public sealed record ReferenceToVideoInput
{
    public const string EndpointId = "fal-ai/veo3.1/reference-to-video";

    public static readonly IReadOnlyList<string> AspectRatios = ["16:9", "9:16"];
    public static readonly IReadOnlyList<string> Durations = ["8s"];
    public static readonly IReadOnlyList<string> Resolutions = ["720p", "1080p", "4k"];
    public static readonly IReadOnlyList<string> SafetyTolerances = ["1", "2", "3", "4", "5", "6"];

    /// <summary>How the video should move: action, style, camera, ambiance.</summary>
    [JsonPropertyName("prompt")]
    public required string Prompt { get; init; }

    /// <summary>Reference images for a consistent subject; URLs fal can fetch without credentials.</summary>
    [JsonPropertyName("image_urls")]
    public required IReadOnlyList<string> ImageUrls { get; init; }

    [JsonPropertyName("aspect_ratio")]
    public string? AspectRatio { get; init; }

    [JsonPropertyName("duration")]
    public string? Duration { get; init; }

    [JsonPropertyName("resolution")]
    public string? Resolution { get; init; }

    [JsonPropertyName("generate_audio")]
    public bool? GenerateAudio { get; init; }

    [JsonPropertyName("seed")]
    public long? Seed { get; init; }

    [JsonPropertyName("negative_prompt")]
    public string? NegativePrompt { get; init; }

    /// <summary>Let fal rewrite a prompt that fails content policy instead of failing.</summary>
    [JsonPropertyName("auto_fix")]
    public bool? AutoFix { get; init; }

    /// <summary>"1" (strictest) to "6"; newer than the model page.</summary>
    [JsonPropertyName("safety_tolerance")]
    public string? SafetyTolerance { get; init; }
}
