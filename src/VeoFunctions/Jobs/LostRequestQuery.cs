namespace VeoFunctions.Jobs;

/// <summary>
/// Looks for a request whose submit answer was lost, in fal's request list: it is the one whose input names this
/// job's own fal-storage image URLs (unique to the job), sent after <paramref name="SubmittedFrom"/>.
/// </summary>
public sealed record LostRequestQuery(string JobId, IReadOnlyList<string> ImageUrls, DateTimeOffset SubmittedFrom);
