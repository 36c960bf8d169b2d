using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fal.Queue;

/// <summary>
/// fal's queue API: submit, status, result, cancel. Reads are retried like fal's own clients do; a submit
/// is retried only where fal cannot have accepted it, because fal has no idempotency key and a blind retry
/// bills twice.
/// </summary>
public sealed partial class FalQueueClient(HttpClient http, IOptions<FalOptions> options, TimeProvider time, ILogger<FalQueueClient> logger)
{
    private readonly FalOptions _options = options.Value;
    private readonly FalRetry _retry = new(options.Value, time);

    /// <summary>
    /// Submits one request. Throws <see cref="FalSubmissionUncertainException"/> where fal may have accepted
    /// it without us learning the request id: the caller must not resubmit blindly.
    /// </summary>
    public async Task<FalSubmission> SubmitAsync<TInput>(string endpointId, TInput input, JsonTypeInfo<TInput> inputType, FalSubmitOptions? submit = null, CancellationToken cancellationToken = default)
    {
        var endpoint = FalEndpoint.Parse(endpointId);
        var url = endpoint.SubmitUrl(_options.QueueBaseUrl);
        if (submit?.WebhookUrl is { } webhook)
        {
            url = new Uri($"{url.AbsoluteUri}?fal_webhook={Uri.EscapeDataString(webhook.AbsoluteUri)}");
        }

        try
        {
            return await _retry.ExecuteAsync(async ct =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(input, inputType) };
                FalHttp.Authorize(request, _options);
                if (submit?.Priority is { } priority)
                {
                    request.Headers.Add("x-fal-queue-priority", priority);
                }

                if (submit?.StartTimeout is { } timeout)
                {
                    request.Headers.Add("x-fal-request-timeout", ((int)Math.Ceiling(timeout.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                using var response = await FalHttp.SendAsync(http, request, ct).ConfigureAwait(false);
                FalSubmission submission;
                try
                {
                    var body = await FalHttp.ReadJsonAsync(response, FalWireJsonContext.Default.SubmitResponse, ct).ConfigureAwait(false);
                    submission = ToSubmission(endpoint, body);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // fal said yes (2xx) but we could not read which request: it is queued and will bill.
                    throw new FalSubmissionUncertainException("fal accepted the request but its answer could not be read; it was not resubmitted to avoid billing twice.", ex);
                }

                Log.Submitted(logger, endpointId, submission.Request.RequestId, submission.QueuePosition);
                return submission;
            }, ex => IsSafeToResubmit(ex, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && MayHaveBeenAccepted(ex, cancellationToken))
        {
            Log.SubmitUncertain(logger, endpointId, ex);
            throw new FalSubmissionUncertainException(
                "fal may have accepted the request, but its answer was lost; it was not resubmitted to avoid billing twice.", ex);
        }
    }

    /// <summary>Asks where a request stands. Retries 429/5xx and network errors.</summary>
    public Task<FalRequestStatus> GetStatusAsync(FalRequest request, bool logs = false, CancellationToken cancellationToken = default) =>
        _retry.ExecuteAsync(async ct =>
        {
            var url = new Uri($"{Trusted(request.StatusUrl, request, r => FalEndpoint.Parse(r.EndpointId).StatusUrl(_options.QueueBaseUrl, r.RequestId)).AbsoluteUri}?logs={(logs ? 1 : 0)}");
            using var message = new HttpRequestMessage(HttpMethod.Get, url);
            FalHttp.Authorize(message, _options);
            using var response = await FalHttp.SendAsync(http, message, ct).ConfigureAwait(false);
            var body = await FalHttp.ReadJsonAsync(response, FalWireJsonContext.Default.StatusResponse, ct).ConfigureAwait(false);
            return ToStatus(body);
        }, ex => IsRetryableRead(ex, alsoInternalError: true, cancellationToken), cancellationToken);

    /// <summary>
    /// Fetches the model's output. A failed model answers its error here (as <see cref="FalApiException"/>).
    /// </summary>
    public Task<TOutput> GetResultAsync<TOutput>(FalRequest request, JsonTypeInfo<TOutput> outputType, CancellationToken cancellationToken = default) =>
        _retry.ExecuteAsync(async ct =>
        {
            var url = Trusted(request.ResponseUrl, request, r => FalEndpoint.Parse(r.EndpointId).ResponseUrl(_options.QueueBaseUrl, r.RequestId));
            using var message = new HttpRequestMessage(HttpMethod.Get, url);
            FalHttp.Authorize(message, _options);
            using var response = await FalHttp.SendAsync(http, message, ct).ConfigureAwait(false);
            return await FalHttp.ReadJsonAsync(response, outputType, ct).ConfigureAwait(false);
        }, ex => IsRetryableRead(ex, alsoInternalError: false, cancellationToken), cancellationToken);

    /// <summary>Asks fal to cancel a request. Best effort: a finished request answers AlreadyCompleted.</summary>
    public Task<FalCancelOutcome> CancelAsync(FalRequest request, CancellationToken cancellationToken = default) =>
        _retry.ExecuteAsync(async ct =>
        {
            var url = Trusted(request.CancelUrl, request, r => FalEndpoint.Parse(r.EndpointId).CancelUrl(_options.QueueBaseUrl, r.RequestId));
            using var message = new HttpRequestMessage(HttpMethod.Put, url);
            FalHttp.Authorize(message, _options);
            try
            {
                using var response = await FalHttp.SendAsync(http, message, ct).ConfigureAwait(false);
                return FalCancelOutcome.CancellationRequested;
            }
            catch (FalApiException ex) when (ex.StatusCode == HttpStatusCode.BadRequest && ex.Error.Message.Contains("ALREADY_COMPLETED", StringComparison.OrdinalIgnoreCase))
            {
                return FalCancelOutcome.AlreadyCompleted;
            }
            catch (FalApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return FalCancelOutcome.NotFound;
            }
        }, ex => IsRetryableRead(ex, alsoInternalError: false, cancellationToken), cancellationToken);

    /// <summary>
    /// A submit may be retried only where fal cannot have taken the request (no connection was made, fal
    /// rate-limited it, a gateway error names no request) and fal does not say "don't retry".
    /// </summary>
    internal static bool IsSafeToResubmit(Exception ex, CancellationToken callerToken) => ex switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError } => true,
        FalApiException api => NeverReachedQueue(api) && api.RetryableHint != false && !callerToken.IsCancellationRequested,
        _ => false,
    };

    /// <summary>
    /// After the body left, a timeout, a reset or a 5xx leaves fal's decision unknown, except the answers that prove
    /// the request never reached the queue, and a start deadline fal enforced (the request is dropped, not run).
    /// </summary>
    internal static bool MayHaveBeenAccepted(Exception ex, CancellationToken callerToken) => ex switch
    {
        FalSubmissionUncertainException => false,
        FalApiException api => (int)api.StatusCode >= 500 && !api.Error.IsUserRequestTimeout && !NeverReachedQueue(api),
        _ => !IsSafeToResubmit(ex, callerToken) && FalRetry.IsTransportFailure(ex, callerToken),
    };

    // Rate limited, or a gateway error that names no request: fal's queue never saw it.
    private static bool NeverReachedQueue(FalApiException api) =>
        api.StatusCode == HttpStatusCode.TooManyRequests
        || (api.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout
            && api.RequestId is null && !api.Error.IsUserRequestTimeout);

    private static bool IsRetryableRead(Exception ex, bool alsoInternalError, CancellationToken callerToken) => ex switch
    {
        FalApiException api => api.IsTransient || (alsoInternalError && api.StatusCode == HttpStatusCode.InternalServerError && api.RetryableHint != false),
        _ => FalRetry.IsTransportFailure(ex, callerToken),
    };

    private FalSubmission ToSubmission(FalEndpoint endpoint, SubmitResponse body)
    {
        if (string.IsNullOrWhiteSpace(body.RequestId))
        {
            throw new FalApiException("fal accepted the submit but its answer had no request_id.");
        }

        var derived = FalRequest.FromRequestId(endpoint.Id, body.RequestId, _options.QueueBaseUrl);
        var request = derived with
        {
            StatusUrl = OnQueueHost(body.StatusUrl) ?? derived.StatusUrl,
            ResponseUrl = OnQueueHost(body.ResponseUrl) ?? derived.ResponseUrl,
            CancelUrl = OnQueueHost(body.CancelUrl) ?? derived.CancelUrl,
        };
        return new FalSubmission(request, body.QueuePosition);
    }

    // Our key goes to these URLs: only ever to the configured queue origin.
    private Uri? OnQueueHost(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && Uri.Compare(uri, _options.QueueBaseUrl, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0
            ? uri
            : null;

    private Uri Trusted(Uri kept, FalRequest request, Func<FalRequest, Uri> derive) =>
        OnQueueHost(kept.AbsoluteUri) is { } ok ? new Uri(ok.GetLeftPart(UriPartial.Path)) : derive(request);

    private static FalRequestStatus ToStatus(StatusResponse body)
    {
        var state = body.Status switch
        {
            "IN_QUEUE" => FalRequestState.InQueue,
            "IN_PROGRESS" => FalRequestState.InProgress,
            "COMPLETED" => FalRequestState.Completed,
            _ => FalRequestState.Unknown,
        };
        string? error = body.Error is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } e
            ? FalErrorDetail.FromJson(e).Message
            : null;
        var logs = body.Logs?.Where(l => l.Message is not null).Select(l => new FalLogEntry(l.Message!, l.Level, l.Timestamp)).ToList() ?? [];
        return new FalRequestStatus(state, body.QueuePosition, logs, body.Metrics?.InferenceTime, error, body.ErrorType);
    }

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Information, "Submitted to fal {EndpointId}: request {RequestId}, queue position {QueuePosition}")]
        public static partial void Submitted(ILogger logger, string endpointId, string requestId, int? queuePosition);

        [LoggerMessage(1002, LogLevel.Error, "Submit to fal {EndpointId} failed after the request may have been accepted; not resubmitting")]
        public static partial void SubmitUncertain(ILogger logger, string endpointId, Exception exception);
    }
}
