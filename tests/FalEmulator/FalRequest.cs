using System.Text.Json.Nodes;

namespace FalEmulator;

/// <summary>An error a request completed with: what the result call answers and what the webhook carries.</summary>
internal sealed record FalError(int HttpStatus, JsonNode Body, string Message, string? ErrorType, bool ShowOnStatus)
{
    /// <summary>Model error (422 detail list), e.g. content_policy_violation or file_download_error.</summary>
    public static FalError Model(JsonArray detail, string message) => new(422, new JsonObject { ["detail"] = detail }, message, null, false);

    /// <summary>Infrastructure error: {"detail","error_type"} + X-Fal-Error-Type; shown on the status as error/error_type.</summary>
    public static FalError Infrastructure(int status, string errorType, string message) =>
        new(status, new JsonObject { ["detail"] = message, ["error_type"] = errorType }, message, errorType, true);
}

/// <summary>What deleting a request's payloads removes from the CDN: the output file and its public link.</summary>
internal sealed record PayloadDeletion(string? FileId, string? Link);

internal sealed record LogEntry(string Message, string Level, string Source, DateTimeOffset Timestamp);

internal static class FalStatus
{
    public const string InQueue = "IN_QUEUE";
    public const string InProgress = "IN_PROGRESS";
    public const string Completed = "COMPLETED";
}

/// <summary>One accepted queue request and its lifecycle (all mutation under <see cref="Gate"/>).</summary>
internal sealed class FalRequest
{
    public required string Id { get; init; }
    public required long Sequence { get; init; }
    public required string EndpointId { get; init; }
    public required string Owner { get; init; }
    public required string Alias { get; init; }
    public required string Origin { get; init; }
    public required JsonObject Input { get; init; }
    public required string InputJson { get; init; }
    public string? Prompt { get; init; }
    public string? WebhookUrl { get; init; }
    public required bool LowPriority { get; init; }
    public required DateTimeOffset SubmittedAt { get; init; }
    public DateTimeOffset? StartDeadline { get; init; }
    public FaultRule? GenerationFault { get; init; }

    /// <summary>For a <see cref="FaultKind.Held"/> request: the first release after it was submitted, however late it reaches its runner.</summary>
    public Task? HeldUntil { get; init; }
    public FaultRule? WebhookFault { get; init; }
    public string? SubmitAnswerFault { get; set; }

    /// <summary>The id of fal's last internal attempt (webhook gateway_request_id); equals <see cref="Id"/> unless fal retried.</summary>
    public required string GatewayRequestId { get; init; }

    /// <summary>x-fal-object-lifecycle-preference of the submit: applies to the output file.</summary>
    public ObjectLifecycle? OutputLifecycle { get; init; }

    /// <summary>Cancelled when the runner must stop (queued request cancelled, or <see cref="CancelInProgressMode.Stop"/>).</summary>
    public CancellationTokenSource Cancellation { get; } = new();

    public Lock Gate { get; } = new();
    public string Status { get; private set; } = FalStatus.InQueue;
    public DateTimeOffset? StartedAt { get; private set; }
    public DateTimeOffset? CompletedAt { get; private set; }
    public JsonNode? Output { get; private set; }
    public FalError? Error { get; private set; }
    public bool Billed { get; private set; }

    /// <summary>First time a cancel was asked (whether or not the runner honours it).</summary>
    public DateTimeOffset? CancelRequestedAt { get; private set; }

    /// <summary>The runner was told to stop: the request ends as client_cancelled unless it finished first.</summary>
    public bool StopRequested { get; private set; }

    /// <summary>The generated video on the CDN (deleted with the payloads).</summary>
    public string? OutputFileId { get; private set; }

    public DateTimeOffset? PayloadsDeletedAt { get; private set; }
    private readonly List<LogEntry> _logs = [];

    public string BaseUrl => $"{Origin}/{Owner}/{Alias}/requests/{Id}";

    public IReadOnlyList<LogEntry> Logs
    {
        get
        {
            lock (Gate)
            {
                return _logs.ToList();
            }
        }
    }

    public void Log(string message, DateTimeOffset at, string level = "INFO")
    {
        lock (Gate)
        {
            _logs.Add(new LogEntry(message, level, "USER", at));
        }
    }

    public bool Start(DateTimeOffset at)
    {
        lock (Gate)
        {
            if (Status != FalStatus.InQueue || StopRequested)
            {
                return false;
            }

            Status = FalStatus.InProgress;
            StartedAt = at;
            return true;
        }
    }

    public bool Succeed(JsonNode output, string outputFileId, DateTimeOffset at)
    {
        lock (Gate)
        {
            if (Status == FalStatus.Completed)
            {
                return false;
            }

            Status = FalStatus.Completed;
            CompletedAt = at;
            Output = output;
            OutputFileId = outputFileId;
            Billed = true;
            return true;
        }
    }

    public bool Fail(FalError error, DateTimeOffset at)
    {
        lock (Gate)
        {
            if (Status == FalStatus.Completed)
            {
                return false;
            }

            Status = FalStatus.Completed;
            CompletedAt = at;
            Error = error;
            return true;
        }
    }

    /// <summary>
    /// Asks for cancellation; false when already completed. A queued request is always removed; an IN_PROGRESS one is
    /// stopped only with <see cref="CancelInProgressMode.Stop"/> (with Signal it runs on).
    /// </summary>
    public bool RequestCancel(CancelInProgressMode inProgress, DateTimeOffset at)
    {
        bool stop;
        lock (Gate)
        {
            if (Status == FalStatus.Completed)
            {
                return false;
            }

            CancelRequestedAt ??= at;
            stop = Status == FalStatus.InQueue || inProgress == CancelInProgressMode.Stop;
            StopRequested |= stop;
        }

        if (stop)
        {
            Cancellation.Cancel();
        }

        return true;
    }

    /// <summary>HTTP status of the outcome (what the result call answers); null while running.</summary>
    public int? StatusCode
    {
        get
        {
            lock (Gate)
            {
                return Status != FalStatus.Completed ? null : Error?.HttpStatus ?? 200;
            }
        }
    }

    /// <summary>Marks the payloads deleted. Null when not completed; else the output file to delete (null if none or already deleted).</summary>
    public PayloadDeletion? DeletePayloads(DateTimeOffset at)
    {
        lock (Gate)
        {
            if (Status != FalStatus.Completed)
            {
                return null;
            }

            if (PayloadsDeletedAt is not null)
            {
                return new PayloadDeletion(null, null);
            }

            PayloadsDeletedAt = at;
            return new PayloadDeletion(OutputFileId, (string?)Output?["video"]?["url"]);
        }
    }

    public SubmissionInfo ToInfo()
    {
        lock (Gate)
        {
            return new SubmissionInfo(
                Id, EndpointId, InputJson, WebhookUrl, LowPriority ? "low" : "normal", SubmittedAt, Status,
                StartedAt, CompletedAt, Billed, Error?.ErrorType ?? (Error is null ? null : "model_error"),
                Error?.Message, Output?.ToJsonString(), SubmitAnswerFault,
                CancelRequestedAt is not null, CancelRequestedAt, GatewayRequestId, Billed ? VeoPrice.Of(Input).Total : null, PayloadsDeletedAt);
        }
    }
}
