using System.ComponentModel.DataAnnotations;

namespace VeoFunctions.Jobs;

/// <summary>How jobs run: where fal calls back, and how long and how often to wait for fal.</summary>
public sealed class JobOptions
{
    public const string SectionName = "Jobs";

    /// <summary>The app's public origin, which fal can reach; the webhook URL is built on it.</summary>
    [Required]
    public Uri PublicBaseUrl { get; set; } = null!;

    /// <summary>
    /// When to first ask fal for status if no webhook came: near the expected generation time, since the
    /// webhook normally arrives first and every status call is wasted work.
    /// </summary>
    public TimeSpan FirstStatusCheck { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>The cap of the status-check backoff (fal's clients poll every 500 ms; we need not).</summary>
    public TimeSpan MaxStatusCheckInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A job fal has neither finished nor failed by then is cancelled at fal and fails.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The first wait before an activity that failed transiently is tried again (doubling after).</summary>
    public TimeSpan FirstRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many times a step that keeps failing transiently is tried in all.</summary>
    [Range(1, 20)]
    public int MaxActivityAttempts { get; set; } = 6;

    /// <summary>Largest accepted POST body (3 images of 8 MB as data URIs are about 32 MB).</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 40 * 1024 * 1024;

    /// <summary>Longest accepted prompt or negative prompt, in characters.</summary>
    [Range(1, 100_000)]
    public int MaxPromptLength { get; set; } = 5000;
}
