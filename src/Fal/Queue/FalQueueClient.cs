using System.Net;
using System.Net.Http.Headers;
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
    /// Submits one request. Retried only where fal cannot have taken it: the connection was never made, or fal
    /// answered 429. Throws <see cref="FalSubmissionUncertainException"/> wherever fal may have accepted it without us
    /// learning the request id (any 5xx, a timeout or reset after the body may have left, an unreadable 2xx): the
    /// caller must not resubmit blindly. A 4xx, and fal's 504 for the caller's own start deadline, are final answers
    /// (<see cref="FalApiException"/>): fal took nothing that will run or bill; so is a connect failure that outlasts the
    /// retries (<see cref="HttpRequestException"/>): nothing left. If the caller cancels, fal may still have accepted
    /// what was already sent.
    /// </summary>
    public async Task<FalSubmission> SubmitAsync<TInput>(string endpointId, TInput input, JsonTypeInfo<TInput> inputType, FalSubmitOptions? submit = null, CancellationToken cancellationToken = default)
    {
        var endpoint = FalEndpoint.Parse(endpointId);
        var url = endpoint.SubmitUrl(_options.QueueBaseUrl);
        if (submit?.WebhookUrl is { } webhook)
        {
            url = new Uri($"{url.AbsoluteUri}?fal_webhook={Uri.EscapeDataString(webhook.AbsoluteUri)}");
        }

        // Serialised once, before anything is sent: a bad input fails here, not half-way through a body fal might see.
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(input, inputType);
        try
        {
            return await _retry.ExecuteAsync(async ct =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
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
                    var answer = await FalHttp.ReadJsonAsync(response, FalWireJsonContext.Default.SubmitResponse, ct).ConfigureAwait(false);
                    submission = ToSubmission(endpoint, answer);
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
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not FalSubmissionUncertainException && !IsFinalAnswer(ex))
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
        }, ex => FalRetry.IsRetryableRead(ex, alsoInternalError: true, cancellationToken), cancellationToken);

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
        }, ex => FalRetry.IsRetryableRead(ex, alsoInternalError: false, cancellationToken), cancellationToken);

    /// <summary>
    /// Asks fal to cancel a request. Best effort: even <see cref="FalCancelOutcome.CancellationRequested"/> means only that
    /// fal was asked; watch the status for COMPLETED (with an error, or even a normal result) to learn what happened.
    /// </summary>
    public Task<FalCancelOutcome> CancelAsync(FalRequest request, CancellationToken cancellationToken = default) =>
        _retry.ExecuteAsync(async ct =>
        {
            var url = Trusted(request.CancelUrl, request, r => FalEndpoint.Parse(r.EndpointId).CancelUrl(_options.QueueBaseUrl, r.RequestId));
            using var message = new HttpRequestMessage(HttpMethod.Put, url);
            FalHttp.Authorize(message, _options);
            try
            {
                using var response = await FalHttp.SendAsync(http, message, ct).ConfigureAwait(false);
                return await CancelAnswerAsync(response, ct).ConfigureAwait(false);
            }
            catch (FalApiException ex) when (ex.StatusCode == HttpStatusCode.BadRequest && ex.Error.Message.Contains("ALREADY_COMPLETED", StringComparison.OrdinalIgnoreCase))
            {
                return FalCancelOutcome.AlreadyCompleted;
            }
            catch (FalApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return FalCancelOutcome.NotFound;
            }
        }, ex => FalRetry.IsRetryableRead(ex, alsoInternalError: false, cancellationToken), cancellationToken);

    // A 2xx says fal took the PUT. Its body's status is read faithfully; what it cannot say (no body, OK, an unknown
    // word) is still only "asked", never "stopped".
    private static async Task<FalCancelOutcome> CancelAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? status;
        try
        {
            status = (await response.Content.ReadFromJsonAsync(FalWireJsonContext.Default.CancelResponse, cancellationToken).ConfigureAwait(false))?.Status;
        }
        catch (JsonException)
        {
            status = null;
        }

        return status switch
        {
            "ALREADY_COMPLETED" => FalCancelOutcome.AlreadyCompleted,
            "NOT_FOUND" => FalCancelOutcome.NotFound,
            _ => FalCancelOutcome.CancellationRequested,
        };
    }

    /// <summary>
    /// Only proof is proof: a submit is repeated only where no byte of it can have reached fal (<see cref="NeverLeft"/>),
    /// or fal rate-limited it (429) without saying "don't retry". Everything else leaves fal's decision unknown: any 5xx,
    /// with or without a request id (an edge in front of fal may answer 502 after forwarding the request), timeouts and
    /// resets after the body may have left.
    /// </summary>
    internal static bool IsSafeToResubmit(Exception ex, CancellationToken callerToken) => !callerToken.IsCancellationRequested && ex switch
    {
        FalApiException { StatusCode: HttpStatusCode.TooManyRequests } api => api.RetryableHint != false,
        _ => NeverLeft(ex),
    };

    /// <summary>
    /// A failed submit that says for certain fal took nothing that will run or bill: it never reached fal, fal refused the
    /// request itself (4xx), or fal enforced the caller's own start deadline (504 with <c>x-fal-request-timeout-type:
    /// user</c>, a header only fal sets: the request expired before any runner started it, fal does not bill 5xx, and it
    /// will not run later). That last one is no acceptance, but not retried either: the deadline was the caller's, and a
    /// new submit is the caller's decision.
    /// </summary>
    internal static bool IsFinalAnswer(Exception ex) => ex switch
    {
        FalApiException { StatusCode: >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError } => true,
        FalApiException { StatusCode: HttpStatusCode.GatewayTimeout } api => api.Error.IsUserRequestTimeout,
        _ => NeverLeft(ex),
    };

    /// <summary>
    /// The connect failures, as .NET 10's SocketsHttpHandler raises them (only while opening a connection, before a
    /// request byte is written):
    /// <list type="bullet">
    /// <item><see cref="HttpRequestError.NameResolutionError"/>: DNS found no host (HostNotFound/TryAgain); no connection was opened.</item>
    /// <item><see cref="HttpRequestError.ConnectionError"/>: the TCP (or QUIC) connect to fal or to a proxy failed.</item>
    /// <item><see cref="HttpRequestError.SecureConnectionError"/>: the TLS handshake failed; HTTP follows only a completed
    /// handshake (SslStream sends no early data).</item>
    /// </list>
    /// The handler re-sends a request on its own only where the server cannot have processed it (an HTTP/1.1 request is
    /// re-sent only if it had no body or awaited 100-continue; HTTP/2 only streams the server refused), so none of these
    /// hides an earlier attempt that reached fal.
    /// </summary>
    private static bool NeverLeft(Exception ex) =>
        ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError };

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
