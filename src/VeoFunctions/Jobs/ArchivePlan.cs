namespace VeoFunctions.Jobs;

/// <summary>
/// The facts an archive of the job's video needs besides fal's request and its video. Kept with the job's delivery
/// record when a job closes without its video, so that a delivery coming later can be archived from it alone.
/// </summary>
public sealed record ArchivePlan(string JobId, VideoRequest Request, int ReferenceImages, DateTimeOffset CreatedAt, JobTiming Timing);
