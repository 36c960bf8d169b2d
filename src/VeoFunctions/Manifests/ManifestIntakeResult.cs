namespace VeoFunctions.Manifests;

/// <summary>What the manifest door did, and which failed entries a redrive of failed entries did not start again.</summary>
public sealed record ManifestIntakeResult(ManifestIntakeOutcome Outcome, IReadOnlyList<NotRetried> NotRetried);

/// <summary>
/// An entry whose last job failed and that a redrive of failed entries did not start again, and why:
/// <see cref="Resumable"/> (fal made the video; <c>POST /api/videos/{jobId}/resume</c> archives it without paying again) or
/// <see cref="OutOfAttempts"/> (it has had <see cref="ManifestIntake.MaxAttempts"/> jobs; a new <c>run</c> label asks for more).
/// </summary>
public sealed record NotRetried(int Index, string? Id, string JobId, string Reason)
{
    public const string Resumable = "resumable";

    public const string OutOfAttempts = "outOfAttempts";
}
