namespace VeoFunctions.Jobs;

/// <summary>Where the job's status document is POSTed (signed): when it ends, and on every phase change if asked.</summary>
public sealed record JobCallback(Uri Url, bool OnEveryPhase);
