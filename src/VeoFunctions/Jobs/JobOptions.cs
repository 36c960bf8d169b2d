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

    /// <summary>
    /// After fal was asked to stop a request (deadline or a caller's cancel), how long to wait for fal's last word. A
    /// partner model like Veo may finish anyway, and then the paid video is archived.
    /// </summary>
    public TimeSpan CancelGrace { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The longest fal may take to generate once it started. With the deadline (sent to fal as the start timeout) it
    /// bounds when a request queued by a submit whose answer was lost must show in fal's request list.
    /// </summary>
    public TimeSpan MaxGenerationTime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a failing archive (fal's CDN, our storage) is retried before it waits for a resume.</summary>
    public TimeSpan ArchiveHorizon { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How many archive rounds (each with the step's retries, fal's result read again for the video's URL before the
    /// next) fal's CDN may answer 404 for a video fal's result still names, before the result counts as gone.
    /// </summary>
    [Range(1, 100)]
    public int VideoNotFoundRounds { get; set; } = 4;

    /// <summary>The cap of the pause between archive rounds.</summary>
    public TimeSpan MaxArchiveRetryInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The first wait before a failed callback delivery is tried again; the wait doubles up to an hour. With the
    /// default 12 attempts the last try comes about 5 hours after the first (11 waits: 30 s doubling to 32 min, then 4 of an hour).
    /// </summary>
    public TimeSpan CallbackFirstRetryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times a callback is tried in all before it is given up (the job's outcome never depends on it).</summary>
    [Range(1, 30)]
    public int CallbackAttempts { get; set; } = 12;

    /// <summary>Most jobs one manifest may hold (a batch).</summary>
    [Range(1, 10_000)]
    public int MaxManifestJobs { get; set; } = 1000;

    /// <summary>Largest manifest read, in bytes (a batch of data: URIs is large; images are better named as blobs).</summary>
    [Range(1024, 512 * 1024 * 1024)]
    public long MaxManifestBytes { get; set; } = 64L * 1024 * 1024;

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
