namespace FalEmulator;

/// <summary>An accepted submission (a request that exists at fal) and where it stands.</summary>
/// <param name="ErrorType">error_type of an infrastructure failure, "model_error" for a model (422) failure, null on success / while running.</param>
/// <param name="SubmitFault">Name of the submit fault that altered the HTTP answer of an accepted submit (the client may not know the id), else null.</param>
/// <param name="CancelRequested">A cancel was asked and answered CANCELLATION_REQUESTED (whether or not the runner stopped).</param>
/// <param name="CancelRequestedAt">When the first such cancel arrived.</param>
/// <param name="GatewayRequestId">gateway_request_id of the webhook: the request id unless fal retried internally (GatewayRetry).</param>
/// <param name="CostUsd">What the request was billed (cost_total of its billing event), null when not billed.</param>
/// <param name="PayloadsDeletedAt">When DELETE …/payloads removed its payloads and output file, else null.</param>
public sealed record SubmissionInfo(
    string RequestId,
    string EndpointId,
    string InputJson,
    string? WebhookUrl,
    string Priority,
    DateTimeOffset SubmittedAt,
    string Status,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    bool Billed,
    string? ErrorType,
    string? ErrorMessage,
    string? OutputJson,
    string? SubmitFault,
    bool CancelRequested,
    DateTimeOffset? CancelRequestedAt,
    string GatewayRequestId,
    decimal? CostUsd,
    DateTimeOffset? PayloadsDeletedAt);

/// <summary>One webhook delivery attempt (or a dropped webhook: <see cref="Dropped"/>, Attempt 0).</summary>
/// <param name="HeaderRequestId">X-Fal-Webhook-Request-Id as sent (the id the signature signs).</param>
/// <param name="Timestamp">X-Fal-Webhook-Timestamp as sent (null when nothing was sent).</param>
/// <param name="Signature">X-Fal-Webhook-Signature as sent (null when nothing was sent).</param>
public sealed record WebhookDeliveryInfo(
    string RequestId,
    string Url,
    int Copy,
    int Attempt,
    DateTimeOffset At,
    int? StatusCode,
    string? Error,
    bool Succeeded,
    bool Dropped,
    bool WrongKey,
    string Status,
    string Body,
    string HeaderRequestId,
    string? Timestamp = null,
    string? Signature = null);

/// <summary>A file on the emulated CDN (uploaded, or a generated video).</summary>
/// <param name="Lifecycle">The object lifecycle JSON the upload (X-Fal-Object-Lifecycle[-Preference]) or submit asked for, else null.</param>
/// <param name="ExpiresAt">When the file starts answering 404 (from expiration_duration_seconds), null = never.</param>
/// <param name="Deleted">Removed by DELETE …/payloads.</param>
public sealed record StoredFileInfo(
    string Id,
    string FileName,
    string ContentType,
    long Length,
    DateTimeOffset StoredAt,
    string? Lifecycle,
    DateTimeOffset? ExpiresAt,
    bool Expired,
    bool Deleted);
