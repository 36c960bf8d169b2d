namespace VeoFunctions.Jobs;

/// <summary>A validated request, ready to schedule. Nothing has been written or spent yet.</summary>
public sealed record VideoJobDraft(VideoRequest Request, IReadOnlyList<DraftImage> Images, JobCallback? Callback = null, string? Priority = null);
