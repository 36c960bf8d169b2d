using System.ComponentModel.DataAnnotations;

namespace VeoFunctions.Archive;

/// <summary>
/// How long archiving a video may take. Both limits sit inside host.json's <c>functionTimeout</c> (10 minutes): past
/// that the host kills the worker, where a timeout of our own fails one attempt with a transient error that the
/// durable retry tries again. Bound from the <c>Archive</c> section.
/// </summary>
public sealed class ArchiveOptions : IValidatableObject
{
    public const string SectionName = "Archive";

    /// <summary>
    /// Longest wait for fal's CDN to answer or to send the next bytes of the video. A stream that stalls is cut
    /// then, instead of holding the activity until the function times out.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Longest one attempt may take in all (the download, the upload into Blob Storage and the manifest), so a
    /// stream that trickles just fast enough to beat <see cref="IdleTimeout"/> still ends inside the function's time.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:09:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(8);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (IdleTimeout >= Timeout)
        {
            yield return new ValidationResult($"{nameof(IdleTimeout)} must be shorter than {nameof(Timeout)}.", [nameof(IdleTimeout), nameof(Timeout)]);
        }
    }
}
