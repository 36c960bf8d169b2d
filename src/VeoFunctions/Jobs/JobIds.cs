namespace VeoFunctions.Jobs;

/// <summary>The shape of a job id, checked before an id from a URL reaches storage.</summary>
public static class JobIds
{
    public static bool IsWellFormed(string? jobId) =>
        jobId is { Length: > 0 and <= 64 } && jobId.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));
}
