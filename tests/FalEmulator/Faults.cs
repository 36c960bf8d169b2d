using System.Text.Json.Serialization;

namespace FalEmulator;

/// <summary>Kinds of HTTP calls the emulator serves (counters and fault targets).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RequestKind>))]
public enum RequestKind
{
    Submit,
    Status,
    StatusStream,
    Result,
    Cancel,
    UploadInitiate,
    UploadPut,
    FileGet,
    Jwks,

    /// <summary>GET /v1/models/requests/by-endpoint (Platform API).</summary>
    PlatformRequests,

    /// <summary>GET /v1/models/pricing (Platform API).</summary>
    Pricing,

    /// <summary>GET /v1/models/billing-events (Platform API, admin).</summary>
    BillingEvents,

    /// <summary>DELETE /v1/models/requests/{id}/payloads (Platform API, admin).</summary>
    DeletePayloads,
}

/// <summary>What a <see cref="FaultRule"/> does.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FaultKind>))]
public enum FaultKind
{
    /// <summary>The call targeted by <see cref="FaultRule.Target"/> answers <see cref="FaultRule.StatusCode"/> (default 503) with a fal-style detail (Platform kinds: the Platform error shape); nothing happens. On Submit the request is NOT accepted (with <see cref="FaultRule.IncludeRequestIdHeader"/> it still carries an x-fal-request-id of a request that does not exist).</summary>
    HttpError,

    /// <summary>The call targeted by <see cref="FaultRule.Target"/> has its connection aborted; nothing happens (on Submit: not accepted).</summary>
    Abort,

    /// <summary>Submit answers 422 with a validation detail (field <see cref="FaultRule.Field"/>, type <see cref="FaultRule.ErrorType"/>); not accepted.</summary>
    SubmitValidationError,

    /// <summary>Submit ACCEPTS the request (it runs, completes, bills, sends its webhook) but answers <see cref="FaultRule.StatusCode"/> (default 502), with x-fal-request-id only if <see cref="FaultRule.IncludeRequestIdHeader"/>.</summary>
    SubmitAcceptedThenHttpError,

    /// <summary>Submit ACCEPTS the request but the connection is aborted before any answer.</summary>
    SubmitAcceptedThenAbort,

    /// <summary>The model fails: status COMPLETED (no error fields), result 422 with detail type <see cref="FaultRule.ErrorType"/> (default content_policy_violation), webhook ERROR.</summary>
    GenerationError,

    /// <summary>The runner dies: status COMPLETED with error + error_type runner_disconnected, result 503 (X-Fal-Error-Type), webhook ERROR. Not billed.</summary>
    RunnerDisconnected,

    /// <summary>The request stays IN_PROGRESS forever: until cancelled with <see cref="CancelInProgressMode.Stop"/> (with Signal the runner ignores the cancel).</summary>
    Stuck,

    /// <summary>
    /// The request stays IN_PROGRESS until the test releases it (<see cref="EmulatorState.ReleaseHeld"/>, or
    /// POST /_emulator/release), then generates as usual: a job held in its wait for as long as a scenario needs
    /// (a worker killed, a host redeployed), without a race against the clock.
    /// </summary>
    Held,

    /// <summary>The webhook is never delivered.</summary>
    WebhookDrop,

    /// <summary>The webhook is delivered <see cref="FaultRule.Deliveries"/> times, concurrently (each copy with its own retries).</summary>
    WebhookDuplicate,

    /// <summary>The webhook is signed with a key that is not in the JWKS.</summary>
    WebhookWrongKey,

    /// <summary>The OK webhook carries payload null and a payload_error (the client must fetch the result).</summary>
    WebhookPayloadError,

    /// <summary>The first delivery attempt waits <see cref="FaultRule.Delay"/> after completion (retries as usual after it).</summary>
    WebhookDelay,

    /// <summary>
    /// fal retried the request internally: the webhook body's gateway_request_id is a new uuid, not request_id.
    /// <see cref="FaultRule.GatewayIdInHeader"/> puts that id in X-Fal-Webhook-Request-Id (and so in the signed message).
    /// </summary>
    GatewayRetry,

    /// <summary>
    /// On FileGet: 200 with the full Content-Length, the first <see cref="FaultRule.Bytes"/> bytes, then nothing while the
    /// connection stays open (until the client goes away or the emulator stops or resets). On any other target: no answer at all.
    /// </summary>
    Stall,
}

/// <summary>
/// A fault to inject. Rules are checked in the order they were added; the first matching rule of a stage wins
/// (stages: submit answer, per-call HTTP error on other targets, generation, webhook). Generation and webhook rules
/// are bound to a request when it is accepted. A rule with no matcher and no <see cref="Count"/> is global.
/// </summary>
public sealed class FaultRule
{
    /// <summary>Identifier assigned when the rule is added.</summary>
    public string? Id { get; set; }

    public FaultKind Kind { get; set; }

    /// <summary>For <see cref="FaultKind.HttpError"/>, <see cref="FaultKind.Abort"/> and <see cref="FaultKind.Stall"/>: which call fails. Default Submit.</summary>
    public RequestKind Target { get; set; } = RequestKind.Submit;

    /// <summary>How many times the rule applies before it is used up; null = forever. Ignored when <see cref="For"/> is set.</summary>
    public int? Count { get; set; }

    /// <summary>An outage: the rule applies to every matching call for this long from when it is added (emulator clock), then disappears.</summary>
    public TimeSpan? For { get; set; }

    /// <summary>When a <see cref="For"/> rule stops applying; set when the rule is added.</summary>
    public DateTimeOffset? ActiveUntil { get; set; }

    /// <summary>Only requests whose input prompt contains this (ordinal) match. Calls without a request (upload, file, jwks) never match a rule with a matcher.</summary>
    public string? PromptContains { get; set; }

    /// <summary>Only the request with this id matches (status/result/cancel/stream targets).</summary>
    public string? RequestId { get; set; }

    /// <summary>HTTP status for HttpError (default 503) and SubmitAcceptedThenHttpError (default 502).</summary>
    public int? StatusCode { get; set; }

    /// <summary>Whether a failing submit answer carries x-fal-request-id.</summary>
    public bool IncludeRequestIdHeader { get; set; }

    /// <summary>Copies sent by <see cref="FaultKind.WebhookDuplicate"/>.</summary>
    public int Deliveries { get; set; } = 2;

    /// <summary>Field named in the loc of SubmitValidationError (default prompt).</summary>
    public string? Field { get; set; }

    /// <summary>Error type (SubmitValidationError default value_error; GenerationError default content_policy_violation).</summary>
    public string? ErrorType { get; set; }

    /// <summary>Wait before the first webhook attempt (<see cref="FaultKind.WebhookDelay"/>; honoured by every webhook-stage rule).</summary>
    public TimeSpan? Delay { get; set; }

    /// <summary>For <see cref="FaultKind.GatewayRetry"/>: X-Fal-Webhook-Request-Id carries the gateway id (true) or request_id (false).</summary>
    public bool GatewayIdInHeader { get; set; }

    /// <summary>Bytes a <see cref="FaultKind.Stall"/>ed file GET sends before it stops (default 64 KiB).</summary>
    public long Bytes { get; set; } = 64 * 1024;

    /// <summary>Message override.</summary>
    public string? Message { get; set; }

    /// <summary>Times the rule has been applied.</summary>
    public int Hits { get; set; }

    public static FaultRule SubmitHttpError(int statusCode, bool includeRequestIdHeader = false, int? count = 1) =>
        new() { Kind = FaultKind.HttpError, Target = RequestKind.Submit, StatusCode = statusCode, IncludeRequestIdHeader = includeRequestIdHeader, Count = count };

    public static FaultRule SubmitAcceptedThenHttpError(int statusCode = 502, bool includeRequestIdHeader = false, int? count = 1) =>
        new() { Kind = FaultKind.SubmitAcceptedThenHttpError, StatusCode = statusCode, IncludeRequestIdHeader = includeRequestIdHeader, Count = count };

    public static FaultRule SubmitAcceptedThenAbort(int? count = 1) => new() { Kind = FaultKind.SubmitAcceptedThenAbort, Count = count };

    public static FaultRule SubmitValidationError(string field = "prompt", string? message = null, string errorType = "value_error", int? count = 1) =>
        new() { Kind = FaultKind.SubmitValidationError, Field = field, Message = message, ErrorType = errorType, Count = count };

    public static FaultRule CallHttpError(RequestKind target, int statusCode, int? count = 1, string? requestId = null) =>
        new() { Kind = FaultKind.HttpError, Target = target, StatusCode = statusCode, Count = count, RequestId = requestId };

    public static FaultRule Generation(FaultKind kind, string? promptContains = null, int? count = 1) =>
        new() { Kind = kind, PromptContains = promptContains, Count = count };

    /// <summary>The first webhook attempt comes <paramref name="delay"/> after completion.</summary>
    public static FaultRule WebhookDelayed(TimeSpan delay, string? promptContains = null, int? count = 1) =>
        new() { Kind = FaultKind.WebhookDelay, Delay = delay, PromptContains = promptContains, Count = count };

    /// <summary>The webhook's gateway_request_id differs from request_id (fal retried internally).</summary>
    public static FaultRule GatewayRetried(bool gatewayIdInHeader = false, string? promptContains = null, int? count = 1) =>
        new() { Kind = FaultKind.GatewayRetry, GatewayIdInHeader = gatewayIdInHeader, PromptContains = promptContains, Count = count };

    /// <summary>Every <paramref name="target"/> call answers <paramref name="statusCode"/> for <paramref name="duration"/>.</summary>
    public static FaultRule Outage(RequestKind target, int statusCode, TimeSpan duration) =>
        new() { Kind = FaultKind.HttpError, Target = target, StatusCode = statusCode, For = duration };

    /// <summary>A file GET sends <paramref name="bytes"/> bytes, then stalls.</summary>
    public static FaultRule StalledFile(long bytes = 64 * 1024, int? count = 1) =>
        new() { Kind = FaultKind.Stall, Target = RequestKind.FileGet, Bytes = bytes, Count = count };

    internal FaultRule Clone() => (FaultRule)MemberwiseClone();

    internal Stage Stage => Kind switch
    {
        FaultKind.HttpError or FaultKind.Abort or FaultKind.Stall when Target == RequestKind.Submit => Stage.Submit,
        FaultKind.HttpError or FaultKind.Abort or FaultKind.Stall => Stage.Call,
        FaultKind.SubmitValidationError or FaultKind.SubmitAcceptedThenHttpError or FaultKind.SubmitAcceptedThenAbort => Stage.Submit,
        FaultKind.GenerationError or FaultKind.RunnerDisconnected or FaultKind.Stuck or FaultKind.Held => Stage.Generation,
        _ => Stage.Webhook,
    };
}

internal enum Stage
{
    Submit,
    Call,
    Generation,
    Webhook,
}

/// <summary>Thread-safe ordered set of fault rules.</summary>
/// <param name="now">The emulator clock (outage windows).</param>
internal sealed class FaultBook(Func<DateTimeOffset> now)
{
    private readonly Lock _gate = new();
    private readonly List<FaultRule> _rules = [];
    private long _nextId;

    public string Add(FaultRule rule)
    {
        lock (_gate)
        {
            rule.Id ??= "fault-" + (++_nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
            rule.ActiveUntil = rule.For is { } window ? now() + window : null;
            _rules.Add(rule);
            return rule.Id;
        }
    }

    public bool Remove(string id)
    {
        lock (_gate)
        {
            return _rules.RemoveAll(r => r.Id == id) > 0;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    public IReadOnlyList<FaultRule> Snapshot()
    {
        lock (_gate)
        {
            RemoveEnded();
            return _rules.Select(r => r.Clone()).ToList();
        }
    }

    /// <summary>Finds and consumes the first rule of <paramref name="stage"/> that matches.</summary>
    public FaultRule? Take(Stage stage, RequestKind? target, string? requestId, string? prompt)
    {
        lock (_gate)
        {
            RemoveEnded();
            foreach (var rule in _rules)
            {
                if (rule.Stage != stage || (stage == Stage.Call && rule.Target != target))
                {
                    continue;
                }

                if (rule.RequestId is not null && rule.RequestId != requestId)
                {
                    continue;
                }

                if (rule.PromptContains is not null && (prompt is null || !prompt.Contains(rule.PromptContains, StringComparison.Ordinal)))
                {
                    continue;
                }

                rule.Hits++;
                var taken = rule.Clone();
                if (rule.For is null && rule.Count is int count)
                {
                    rule.Count = count - 1;
                    if (rule.Count <= 0)
                    {
                        _rules.Remove(rule);
                    }
                }

                return taken;
            }

            return null;
        }
    }

    private void RemoveEnded()
    {
        var at = now();
        _rules.RemoveAll(r => r.ActiveUntil is { } until && at >= until);
    }
}
