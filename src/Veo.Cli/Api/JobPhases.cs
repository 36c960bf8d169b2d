namespace Veo.Cli.Api;

/// <summary>The phase names the app reports, and which of them end a job.</summary>
public static class JobPhases
{
    public const string Queued = "queued";
    public const string Generating = "generating";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    /// <summary>Every phase, in the order a job passes through (for <c>veo list --phase</c>).</summary>
    public static readonly IReadOnlyList<string> All =
        ["validating", "uploading", "submitting", Queued, Generating, "archiving", Completed, Failed, Cancelled];

    public static bool IsEnd(string phase) => phase is Completed or Failed or Cancelled;
}
