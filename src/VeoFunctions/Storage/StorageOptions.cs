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

    /// <summary>
    /// The account's Table service (the daily budget), reached with the app's managed identity; only with
    /// <see cref="BlobServiceUri"/>. Unset: the blob URI's <c>.blob.</c> host label becomes <c>.table.</c>.
    /// </summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>The table that holds the daily budget: one partition per UTC day, a row per job and the day's totals.</summary>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    public string BudgetTable { get; set; } = "veobudget";

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

        if (BlobServiceUri is not null && TableServiceUri is null && TableUri() is null)
        {
            yield return new ValidationResult("Set Storage:TableServiceUri: it cannot be told from Storage:BlobServiceUri (no '.blob.' in its host).", [nameof(TableServiceUri)]);
        }
    }

    /// <summary>The Table service's URI: <see cref="TableServiceUri"/>, else the one beside <see cref="BlobServiceUri"/>.</summary>
    public Uri? TableUri()
    {
        if (TableServiceUri is not null || BlobServiceUri is null)
        {
            return TableServiceUri;
        }

        string host = BlobServiceUri.Host;
        int blob = host.IndexOf(".blob.", StringComparison.OrdinalIgnoreCase);
        return blob < 0 ? null : new UriBuilder(BlobServiceUri) { Host = string.Concat(host.AsSpan(0, blob), ".table.", host.AsSpan(blob + 6)) }.Uri;
    }
}
