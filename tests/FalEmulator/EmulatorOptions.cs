using Microsoft.Extensions.Logging;

namespace FalEmulator;

/// <summary>
/// Settings of the fal emulator. The instance handed to <see cref="FalEmulatorHost.StartAsync"/> stays live:
/// it is exposed as <see cref="EmulatorState.Options"/> and read at each use, so tests may change
/// timings, padding, key or retry settings while the emulator runs. <see cref="EmulatorState.Reset"/>
/// restores the values it had at start.
/// </summary>
public sealed class EmulatorOptions
{
    /// <summary>Address Kestrel binds (in-process host). Loopback by default.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>Port Kestrel binds (in-process host); 0 picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>Origin used in URLs the emulator hands out; null = the origin the caller used (scheme + Host header).</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Expected fal key (the part after "Key "); null = accept any non-empty key.</summary>
    public string? ExpectedKey { get; set; }

    /// <summary>Time a request spends IN_QUEUE before it may start.</summary>
    public TimeSpan QueueTime { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Time a request spends IN_PROGRESS (generation).</summary>
    public TimeSpan GenerationTime { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Number of requests that may be IN_PROGRESS at once; 0 = unlimited. Excess requests wait IN_QUEUE (normal priority before low).</summary>
    public int MaxConcurrentRequests { get; set; }

    /// <summary>Progress log lines emitted while IN_PROGRESS (besides start/end lines).</summary>
    public int ProgressLogLines { get; set; } = 4;

    /// <summary>
    /// false (default, faithful): the model input is validated when the request RUNS — submit is accepted and
    /// the request completes with a 422 error. true: an invalid input is rejected by submit with a 422.
    /// </summary>
    public bool ValidateInputAtSubmit { get; set; }

    /// <summary>When the request runs, download every image_url (emulator /files URLs are resolved in-process; data: URIs decoded); failure = 422 file_download_error.</summary>
    public bool DownloadImages { get; set; } = true;

    /// <summary>Largest accepted reference image (fal: 8 MB); larger = 422 image_too_large.</summary>
    public long MaxImageBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>Size in bytes of a top-level <c>free</c> box appended to the output MP4 (0 = none; 1..7 are rounded up to 8).</summary>
    public long VideoPaddingBytes { get; set; }

    /// <summary>Value of X-Fal-Webhook-User-Id (and part of the signed message).</summary>
    public string WebhookUserId { get; set; } = "emulator-user";

    /// <summary>Total delivery attempts per webhook copy (first try included).</summary>
    public int WebhookMaxAttempts { get; set; } = 10;

    /// <summary>Delay before the 2nd attempt; doubles each attempt.</summary>
    public TimeSpan WebhookRetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Cap of the delay between attempts.</summary>
    public TimeSpan WebhookRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout of one webhook POST.</summary>
    public TimeSpan WebhookAttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// What PUT …/cancel does to an IN_PROGRESS request. <see cref="CancelInProgressMode.Signal"/> (default, fal's behaviour
    /// for partner models like Veo): the runner gets a signal it ignores; the request completes, is billed and sends its OK
    /// webhook. A queued request is removed in both modes.
    /// </summary>
    public CancelInProgressMode CancelInProgress { get; set; } = CancelInProgressMode.Signal;

    /// <summary>Which requests GET /v1/models/requests/by-endpoint lists (fal does not say; Finished is the conservative reading).</summary>
    public PlatformListingMode PlatformListing { get; set; } = PlatformListingMode.Finished;

    /// <summary>unit_price (USD per second) answered by GET /v1/models/pricing.</summary>
    public decimal UnitPrice { get; set; } = 0.40m;

    /// <summary>How long after completion a billed request's billing event appears (fal's usage data lags).</summary>
    public TimeSpan BillingDelay { get; set; }

    /// <summary>
    /// Key with ADMIN scope (the part after "Key "). null = no admin scope modelled: billing-events and payload deletion take
    /// the same keys as every other call. When set, those two require exactly this key (else 403); it also works everywhere else.
    /// </summary>
    public string? AdminKey { get; set; }

    /// <summary>Fault rules active from start (global faults: no matcher and no count).</summary>
    public IList<FaultRule> Faults { get; } = new List<FaultRule>();

    /// <summary>Clock for queue/generation delays, timestamps and webhook retry delays.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Minimum log level of the in-process host.</summary>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Warning;

    internal EmulatorOptions Clone()
    {
        var fresh = new EmulatorOptions();
        fresh.CopyFrom(this);
        return fresh;
    }

    internal void CopyFrom(EmulatorOptions source)
    {
        foreach (var property in typeof(EmulatorOptions).GetProperties())
        {
            if (property.CanWrite)
            {
                property.SetValue(this, property.GetValue(source));
            }
        }

        Faults.Clear();
        foreach (var rule in source.Faults)
        {
            Faults.Add(rule.Clone());
        }
    }
}

/// <summary>How the emulated runner reacts to a cancel of an IN_PROGRESS request.</summary>
public enum CancelInProgressMode
{
    /// <summary>The cancellation signal is ignored (model app without cancellation handling): the request runs to its end and bills.</summary>
    Signal,

    /// <summary>The runner stops: COMPLETED with 499 client_cancelled, not billed, ERROR webhook.</summary>
    Stop,
}

/// <summary>Which requests the Platform API's request listing shows.</summary>
public enum PlatformListingMode
{
    /// <summary>Only ended requests; the time window filters on ended_at.</summary>
    Finished,

    /// <summary>Started ones too (running: ended_at null); the time window filters on started_at. Queued requests never appear.</summary>
    Started,
}
