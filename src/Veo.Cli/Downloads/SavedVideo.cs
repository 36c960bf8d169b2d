namespace Veo.Cli.Downloads;

/// <summary>What <c>veo download --json</c> prints: where the video went and how many bytes it has.</summary>
public sealed record SavedVideo(string JobId, string File, long Bytes);
