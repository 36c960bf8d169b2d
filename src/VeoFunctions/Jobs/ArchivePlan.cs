namespace VeoFunctions.Jobs;

/// <summary>
/// The facts an archive of the job's video needs besides fal's request and its video, and where the job reports.
/// Kept with the job's delivery record when a job closes without its video, so that a delivery coming later can be
/// archived (and reported, and its cost settled) from it alone.
/// </summary>
public sealed record ArchivePlan(
    string JobId, VideoRequest Request, int ReferenceImages, DateTimeOffset CreatedAt, JobTiming Timing, JobCallback? Callback = null, ManifestEntry? Manifest = null,
    Money.JobQuote? Quote = null)
{
    public static ArchivePlan Of(VideoJobInput job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new(job.JobId, job.Request, job.Images.Count, job.CreatedAt, job.Timing, job.Callback, job.Manifest, job.Quote);
    }

    /// <summary>The job's cost as it stands before fal's bill: its estimate, if the door made one.</summary>
    public Money.JobCost? PendingCost => Quote is { } quote ? Money.JobCost.Pending(quote.Estimate) : null;
}
