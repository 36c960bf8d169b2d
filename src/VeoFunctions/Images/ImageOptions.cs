using System.ComponentModel.DataAnnotations;

namespace VeoFunctions.Images;

/// <summary>
/// Limits for reference images. The defaults follow what fal documents for
/// <c>fal-ai/veo3.1/reference-to-video</c> (8 MB per image, up to 3 images) plus limits of our own
/// against decompression bombs and slow or hostile servers. Bound from the <c>Images</c> section.
/// </summary>
public sealed class ImageOptions : IValidatableObject
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Images";

    /// <summary>Largest accepted image, in bytes, checked while streaming and never trusted from headers.</summary>
    [Range(1, 256 * 1024 * 1024)]
    public int MaxImageBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Fewest reference images a request may carry.</summary>
    [Range(0, 16)]
    public int MinImages { get; set; } = 1;

    /// <summary>Most reference images a request may carry (Google's reference-image feature takes 3).</summary>
    [Range(1, 16)]
    public int MaxImages { get; set; } = 3;

    /// <summary>
    /// Largest accepted pixel count. A tiny compressed file can declare billions of pixels and blow up
    /// whoever decodes it; this refuses such decompression bombs from the header alone.
    /// </summary>
    [Range(typeof(long), "1", "1000000000")]
    public long MaxPixels { get; set; } = 40_000_000;

    /// <summary>Largest accepted width or height, in pixels, for the same reason as <see cref="MaxPixels"/>.</summary>
    [Range(1, 1 << 20)]
    public int MaxDimension { get; set; } = 8192;

    /// <summary>
    /// Overall time allowed for one download, redirects and body included, so a server that drips
    /// one byte per second cannot hold a worker forever.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan DownloadTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How many redirects a download may follow; each target is re-checked.</summary>
    [Range(0, 10)]
    public int MaxRedirects { get; set; } = 3;

    /// <summary>Whether plain http URLs are accepted. Off in production; tests turn it on for a local server.</summary>
    public bool AllowHttp { get; set; }

    /// <summary>
    /// Host names or IP addresses that may be reached even though they are private, loopback or
    /// otherwise reserved. Empty by default: an explicit allow-list for tests and local development only.
    /// </summary>
    public IList<string> AllowedPrivateHosts { get; } = new List<string>();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinImages > MaxImages)
        {
            yield return new ValidationResult(
                $"{nameof(MinImages)} must not exceed {nameof(MaxImages)}.",
                [nameof(MinImages), nameof(MaxImages)]);
        }
    }
}
