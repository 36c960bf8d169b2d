namespace FalEmulator;

/// <summary>An accepted submission (a request that exists at fal) and where it stands.</summary>
/// <param name="ErrorType">error_type of an infrastructure failure, "model_error" for a model (422) failure, null on success / while running.</param>
/// <param name="SubmitFault">Name of the submit fault that altered the HTTP answer of an accepted submit (the client may not know the id), else null.</param>
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
    string? SubmitFault);

/// <summary>One webhook delivery attempt (or a dropped webhook: <see cref="Dropped"/>, Attempt 0).</summary>
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
    string Body);
