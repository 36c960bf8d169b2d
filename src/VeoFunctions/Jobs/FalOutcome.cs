namespace VeoFunctions.Jobs;

/// <summary>What fal finally said: a video, or one sentence why not.</summary>
public sealed record FalOutcome(string? VideoUrl, string? ContentType, long? FileSize, string? Error, DateTimeOffset? CompletedAt = null)
{
    public bool Succeeded => VideoUrl is not null && Error is null;

    public static FalOutcome Failed(string error) => new(null, null, null, error);
}
