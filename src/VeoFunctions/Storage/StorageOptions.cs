using System.ComponentModel.DataAnnotations;

namespace VeoFunctions.Storage;

/// <summary>
/// The user's Blob Storage: a connection string (Azurite, local runs) or a service URI reached with the
/// app's managed identity (production).
/// </summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string SectionName = "Storage";

    public string? ConnectionString { get; set; }

    public Uri? BlobServiceUri { get; set; }

    /// <summary>Archived videos and their manifests.</summary>
    [Required]
    [RegularExpression("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")]
    public string VideosContainer { get; set; } = "videos";

    /// <summary>The app's own working files: staged images and the submission ledger.</summary>
    [Required]
    [RegularExpression("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")]
    public string WorkContainer { get; set; } = "veo-work";

    /// <summary>
    /// Where data pipelines drop job manifests (<c>{batch}/{name}.json</c>); the app writes each one's
    /// <c>.result.json</c> or <c>.error.json</c> beside it. The blob trigger watches it (<c>%Storage:JobsContainer%</c>).
    /// </summary>
    [Required]
    [RegularExpression("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")]
    public string JobsContainer { get; set; } = "jobs";

    /// <summary>
    /// Private reference images a manifest may name (<c>images/cat.png</c> or the blob's URL): read with the app's own
    /// identity, never made public.
    /// </summary>
    [Required]
    [RegularExpression("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")]
    public string ImagesContainer { get; set; } = "images";

    /// <summary>
    /// How long a video's download link (a read-only SAS for that one blob) works. Short, because anyone holding the
    /// link can read the video until then; a day at most, since a link that lives longer is no longer short-lived
    /// (<c>GET /api/videos/{id}/video</c> hands out a fresh one at any time).
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan DownloadLinkLifetime { get; set; } = TimeSpan.FromHours(1);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) == (BlobServiceUri is null))
        {
            yield return new ValidationResult("Set exactly one of Storage:ConnectionString or Storage:BlobServiceUri.", [nameof(ConnectionString), nameof(BlobServiceUri)]);
        }
    }
}
