using System.Text.Json.Serialization;

namespace Veo.Cli.Api;

/// <summary>
/// The body of <c>POST /api/videos</c>: the model's own input, so its names are fal's (snake_case). Unset
/// options are left out, so the app (and fal) apply their defaults.
/// </summary>
public sealed record VideoRequest
{
    [JsonPropertyName("prompt")]
    public required string Prompt { get; init; }

    /// <summary>https URLs passed through as given, local files as <c>data:</c> URIs.</summary>
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
    public uint? Seed { get; init; }

    [JsonPropertyName("negative_prompt")]
    public string? NegativePrompt { get; init; }

    [JsonPropertyName("auto_fix")]
    public bool? AutoFix { get; init; }

    [JsonPropertyName("safety_tolerance")]
    public string? SafetyTolerance { get; init; }
}
