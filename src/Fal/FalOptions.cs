using System.ComponentModel.DataAnnotations;

namespace Fal;

/// <summary>
/// Where fal lives and how to authenticate. Every host is configurable so that tests and local runs
/// can point the client at an emulator that serves fal's paths unchanged on one origin.
/// </summary>
public sealed class FalOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Fal";

    /// <summary>Queue API base URL (submit, status, result, cancel).</summary>
    [Required]
    public Uri QueueBaseUrl { get; set; } = new("https://queue.fal.run");

    /// <summary>REST API base URL (storage uploads).</summary>
    [Required]
    public Uri RestBaseUrl { get; set; } = new("https://rest.fal.ai");

    /// <summary>Platform API base URL (request history, pricing, billing, payload deletion).</summary>
    [Required]
    public Uri PlatformBaseUrl { get; set; } = new("https://api.fal.ai/v1");

    /// <summary>The key set that signs fal's webhooks.</summary>
    [Required]
    public Uri JwksUrl { get; set; } = new("https://rest.fal.ai/.well-known/jwks.json");

    /// <summary>
    /// The app's fal user id, as fal sends it in <c>X-Fal-Webhook-User-Id</c>. fal signs every customer's webhooks with
    /// the same keys, so when this is set a delivery for another fal account is refused (401) even if its signature
    /// holds. Unset, any account's delivery is taken and the door logs the id it saw, which is how to find the value.
    /// </summary>
    public string? WebhookUserId { get; set; }

    /// <summary>
    /// The hosts a result's video may be downloaded from: fal's media CDN (<c>fal.media</c> and its subdomains such as
    /// <c>v3.fal.media</c>) and the Cloud Storage host fal's own example outputs are served from. A name starting
    /// <c>*.</c> matches any subdomain. Empty means <see cref="DefaultMediaHosts"/>; set, it replaces them.
    /// </summary>
    public IList<string> MediaHosts { get; } = new List<string>();

    /// <summary>fal's media hosts, when <see cref="MediaHosts"/> is not configured.</summary>
    public static IReadOnlyList<string> DefaultMediaHosts { get; } = ["fal.media", "*.fal.media", "storage.googleapis.com"];

    /// <summary>The API key (<c>id:secret</c>); sent as <c>Authorization: Key …</c>. Never logged.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Key { get; set; } = "";

    /// <summary>
    /// An ADMIN-scope key for the Platform API calls that require one (billing events, payload deletion); optional.
    /// The queue's usual API-scope key is refused there, so it is kept apart from <see cref="Key"/>. Never logged.
    /// </summary>
    public string? AdminKey { get; set; }

    /// <summary>
    /// How long fal's CDN keeps an uploaded file (<c>X-Fal-Object-Lifecycle</c>), whole seconds rounded up; unset
    /// leaves it to the account's storage settings. Inputs need to outlive only the wait for the model to read them.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "36500.00:00:00")]
    public TimeSpan? UploadLifetime { get; set; }

    /// <summary>How many times a retryable call is tried in all (the official JS client uses 3).</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>First retry delay; doubles each time, with ±25 % jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound on one retry delay, including a server's Retry-After.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Timeout of one HTTP call to fal.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
