namespace Veo.Cli.Api;

/// <summary>
/// What <c>GET /api/videos/{jobId}</c> answers. <see cref="Phase"/> stays a string so a phase added to the app
/// later is shown rather than breaking the client.
/// </summary>
/// <param name="Error">Why the job ended without its video (failed or cancelled).</param>
/// <param name="LastError">A passing trouble while the job runs (fal's status API down, an archive retrying).</param>
/// <param name="Logs">fal's latest log lines, when the app has them.</param>
/// <param name="Note">What a cancel achieved, or what was spent.</param>
/// <param name="Salvaged">True when a video fal delivered after a cancel or a deadline was archived anyway.</param>
public sealed record JobStatus(
    string JobId,
    string Phase,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    string? FalRequestId,
    int? QueuePosition,
    JobVideo? Video,
    string? Error,
    IReadOnlyList<PhaseEntry>? Timeline,
    string? LastError,
    IReadOnlyList<string>? Logs,
    string? Note,
    bool? Salvaged)
{
    /// <summary>True once the job can change no more: completed, failed or cancelled.</summary>
    public bool HasEnded => JobPhases.IsEnd(Phase);
}
