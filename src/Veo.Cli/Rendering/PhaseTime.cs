namespace Veo.Cli.Rendering;

/// <summary>One phase of a job: when it began, since the job was created, and how long it took (or has taken so far).</summary>
public sealed record PhaseTime(string Phase, TimeSpan Began, TimeSpan? Took, bool Running);
