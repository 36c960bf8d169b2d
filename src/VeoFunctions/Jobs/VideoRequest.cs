namespace VeoFunctions.Jobs;

/// <summary>
/// What the user asked for, validated, without the images (they travel as references). Independent of HTTP,
/// so a blob manifest or a command-line tool can make one too. Null means "fal's default".
/// </summary>
public sealed record VideoRequest(
    string Prompt,
    string? AspectRatio = null,
    string? Duration = null,
    string? Resolution = null,
    bool? GenerateAudio = null,
    long? Seed = null,
    string? NegativePrompt = null,
    bool? AutoFix = null,
    string? SafetyTolerance = null);
