using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Polly;
using Polly.Retry;

namespace Veo.Cli.Api;

/// <summary>
/// The app's public HTTP API and nothing else: every request, every error's one-line message, and the one retry
/// that is safe (a create, under its Idempotency-Key). The function key goes to the app's own origin only, never
/// to a download link on a storage host, so redirects are followed here rather than by the handler.
/// </summary>
public sealed class VeoApiClient
{
    public const string FunctionKeyHeader = "x-functions-key";
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    private const int MaxRedirects = 3;

    private readonly HttpClient http;
    private readonly ApiClientOptions options;

    /// <param name="http">A client that does not follow redirects itself (<see cref="CreateHttpClient"/>).</param>
    public VeoApiClient(HttpClient http, ApiEndpoint endpoint, ApiClientOptions? options = null)
    {
        this.http = http ?? throw new ArgumentNullException(nameof(http));
        Endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
        this.options = options ?? new ApiClientOptions();
    }

    public ApiEndpoint Endpoint { get; }

    /// <summary>The HTTP client the CLI uses: no automatic redirects, no overall timeout (each call sets its own).</summary>
    public static HttpClient CreateHttpClient() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(15) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };

    /// <summary>
    /// <c>POST /api/videos</c>. Sent again with the same key and the same bytes while the app says it is still
    /// starting the job (409 "in progress"), is overloaded (503), or cannot be reached: the key makes a repeat find
    /// the first job.
    /// </summary>
    public async Task<ApiAnswer<JobAccepted>> CreateAsync(VideoRequest request, string idempotencyKey, Action<CreateRetry>? onRetry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(request, VeoJsonContext.Default.VideoRequest);
        var url = Endpoint.Api("videos");
        var pipeline = CreateRetryPipeline(onRetry);
        using var response = await pipeline.ExecuteAsync(
            async token => await SendAsync(() => Post(url, body, idempotencyKey), HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, VeoJsonContext.Default.JobAccepted, jobId: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/videos/{jobId}</c>.</summary>
    public async Task<ApiAnswer<JobStatus>> GetAsync(string jobId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => Request(HttpMethod.Get, JobUrl(jobId)), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, VeoJsonContext.Default.JobStatus, jobId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/videos?top=&amp;phase=&amp;continuationToken=</c>: one page, newest first.</summary>
    public async Task<ApiAnswer<JobPage>> ListAsync(int? top, string? phase, string? continuationToken, CancellationToken cancellationToken)
    {
        var query = new List<string>();
        if (top is { } n)
        {
            query.Add("top=" + n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (phase is not null)
        {
            query.Add("phase=" + Uri.EscapeDataString(phase));
        }

        if (continuationToken is not null)
        {
            query.Add("continuationToken=" + Uri.EscapeDataString(continuationToken));
        }

        var url = Endpoint.Api(query.Count == 0 ? "videos" : "videos?" + string.Join('&', query));
        using var response = await SendAsync(() => Request(HttpMethod.Get, url), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, VeoJsonContext.Default.JobPage, jobId: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/videos/{jobId}/cancel</c>.</summary>
    public async Task<ApiAnswer<CancelAccepted>> CancelAsync(string jobId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => Request(HttpMethod.Post, JobUrl(jobId, "/cancel")), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, VeoJsonContext.Default.CancelAccepted, jobId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/videos/{jobId}/resume</c>; the answer's JSON is returned as the app sent it.</summary>
    public async Task<string> ResumeAsync(string jobId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => Request(HttpMethod.Post, JobUrl(jobId, "/resume")), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await FailureAsync(response, jobId, cancellationToken).ConfigureAwait(false);
        }

        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a manifest of the jobs container again (<c>POST /api/manifests/run</c>): entries already started keep their
    /// jobs, only those that never started are started; with <paramref name="failed"/>, also a new attempt of each entry
    /// whose job failed or was cancelled.
    /// </summary>
    public async Task<string> RunManifestAsync(string name, bool failed, CancellationToken cancellationToken)
    {
        string query = "manifests/run?name=" + Uri.EscapeDataString(name) + (failed ? "&failed=true" : "");
        using var response = await SendAsync(() => Request(HttpMethod.Post, Endpoint.Api(query)), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await FailureAsync(response, null, cancellationToken).ConfigureAwait(false);
        }

        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens the job's MP4 for streaming: the status's <c>downloadUrl</c> first, and when that is missing or has
    /// expired, <c>GET /api/videos/{jobId}/video</c> and its redirect. The caller disposes the response.
    /// </summary>
    public async Task<HttpResponseMessage> OpenVideoAsync(JobStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (status.Video?.DownloadUrl is { } link)
        {
            var response = await SendAsync(() => Request(HttpMethod.Get, link), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            // Most likely the link expired between the status and now: the app hands out a fresh one.
            response.Dispose();
        }

        var url = JobUrl(status.JobId, "/video");
        for (int hop = 0; ; hop++)
        {
            var response = await SendAsync(() => Request(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                if (IsRedirect(response.StatusCode) && response.Headers.Location is { } location && hop < MaxRedirects)
                {
                    url = location.IsAbsoluteUri ? location : new Uri(url, location);
                    continue;
                }

                throw await FailureAsync(response, status.JobId, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private Uri JobUrl(string jobId, string suffix = "") => Endpoint.Api("videos/" + Uri.EscapeDataString(jobId) + suffix);

    private HttpRequestMessage Request(HttpMethod method, Uri url)
    {
        var request = new HttpRequestMessage(method, url);
        if (Endpoint.FunctionKey is { } key && Endpoint.IsSameOrigin(url))
        {
            request.Headers.TryAddWithoutValidation(FunctionKeyHeader, key);
        }

        return request;
    }

    private HttpRequestMessage Post(Uri url, byte[] body, string idempotencyKey)
    {
        var request = Request(HttpMethod.Post, url);
        request.Headers.TryAddWithoutValidation(IdempotencyKeyHeader, idempotencyKey);
        request.Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") { CharSet = "utf-8" } } };
        return request;
    }

    /// <summary>Sends once, within <see cref="ApiClientOptions.RequestTimeout"/>; no answer at all becomes <see cref="ApiFailure.Unavailable"/>.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        try
        {
            return await http.SendAsync(request, completion, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new VeoApiException(ApiFailure.Unavailable, $"{Sentence(Where(request.RequestUri))} did not answer within {options.RequestTimeout.TotalSeconds:0} s.", inner: ex);
        }
        catch (HttpRequestException ex)
        {
            string why = ex.InnerException?.Message ?? ex.Message;
            string hint = Endpoint.IsSameOrigin(request.RequestUri!)
                ? " Is it running (scripts/run-local)? Otherwise pass --app or set VEO_APP_URL."
                : string.Empty;
            throw new VeoApiException(ApiFailure.Unavailable, $"Cannot reach {Where(request.RequestUri)}: {why.TrimEnd('.')}.{hint}", inner: ex);
        }
    }

    private string Where(Uri? url) => url is not null && Endpoint.IsSameOrigin(url)
        ? $"the app at {Endpoint.AppUrl.GetLeftPart(UriPartial.Authority)}"
        : $"the download host {url?.GetLeftPart(UriPartial.Authority)}";

    private static string Sentence(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    private async Task<ApiAnswer<T>> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, string? jobId, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await FailureAsync(response, jobId, cancellationToken).ConfigureAwait(false);
        }

        string json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(json, type);
        }
        catch (JsonException ex)
        {
            throw NotVeo(response, ex);
        }

        return value is null ? throw NotVeo(response, null) : new ApiAnswer<T>(value, json);
    }

    private VeoApiException NotVeo(HttpResponseMessage response, Exception? inner) => new(
        ApiFailure.Unavailable,
        $"{Sentence(Where(response.RequestMessage?.RequestUri))} answered {(int)response.StatusCode} with something that is not VeoFunctions' JSON: is --app right?",
        response.StatusCode,
        inner: inner);

    /// <summary>The one place an error answer becomes a one-line message and a kind a script can act on.</summary>
    private async Task<VeoApiException> FailureAsync(HttpResponseMessage response, string? jobId, CancellationToken cancellationToken)
    {
        var problem = await ReadProblemAsync(response, cancellationToken).ConfigureAwait(false);
        int code = (int)response.StatusCode;
        var status = response.StatusCode;
        string detail = (problem?.Detail ?? problem?.Title ?? response.ReasonPhrase ?? "no details").TrimEnd('.');
        string app = Endpoint.AppUrl.GetLeftPart(UriPartial.Authority);
        return status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden when Endpoint.IsSameOrigin(response.RequestMessage!.RequestUri!) => new(
                ApiFailure.Unauthorized,
                Endpoint.FunctionKey is null
                    ? $"The app at {app} wants a function key ({code}): pass --key or set VEO_FUNCTION_KEY."
                    : $"The app at {app} refused the function key ({code}): check --key or VEO_FUNCTION_KEY.",
                status,
                problem),
            HttpStatusCode.NotFound when problem is null => new(
                ApiFailure.NotFound,
                $"{response.RequestMessage?.RequestUri?.AbsolutePath} is not there (404): is {app} a VeoFunctions app?",
                status),
            HttpStatusCode.NotFound => new(
                ApiFailure.NotFound,
                jobId is null ? $"Not found (404): {detail}." : $"Job {jobId} not found (404): {detail}.",
                status,
                problem),
            HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnsupportedMediaType => new(
                ApiFailure.Rejected,
                $"The app rejected the request ({code}): {ProblemText.Fields(problem) ?? detail}.",
                status,
                problem),
            // A 409 "still in progress" is the wrong moment, not a refusal: it falls through to Unavailable (send it again).
            HttpStatusCode.Conflict when problem?.IsStarting != true => new(ApiFailure.Rejected, $"Conflict ({code}): {detail}.", status, problem),
            HttpStatusCode.UnprocessableEntity => new(ApiFailure.Rejected, $"Refused ({code}): {detail}.", status, problem),
            HttpStatusCode.PaymentRequired => new(ApiFailure.OverBudget, $"Over the daily budget ({code}): {detail}.{BudgetRenewal(problem, response)}", status, problem),
            _ when IsRedirect(status) && response.Headers.Location is { } location => new(
                ApiFailure.Unavailable,
                $"The app at {app} redirects to {location.GetLeftPart(UriPartial.Authority)} ({code}): pass that as --app.",
                status),
            _ => new(ApiFailure.Unavailable, $"{Sentence(Where(response.RequestMessage?.RequestUri))} answered {code}: {detail}.", status, problem),
        };
    }

    /// <summary>
    /// When a refused start can succeed: the problem's <c>resetsAt</c> (the app's clock, so also how far off by
    /// <c>Retry-After</c>), else <c>Retry-After</c> alone. Sending the same request sooner only meets the same 402.
    /// </summary>
    private static string BudgetRenewal(Problem? problem, HttpResponseMessage response)
    {
        string? within = response.Headers.RetryAfter?.Delta is { } delta ? $"in {Rendering.Readable.Duration(delta)}" : null;
        return (problem?.ResetsAt, within) switch
        {
            ({ } at, null) => $" The budget renews at {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC.",
            ({ } at, { } inTime) => $" The budget renews at {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC ({inTime}).",
            (null, { } inTime) => $" The budget renews {inTime}.",
            _ => " The budget renews at midnight UTC.",
        };
    }

    private static async Task<Problem?> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentType?.MediaType is not { } media || !media.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            string json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return JsonSerializer.Deserialize(json, VeoJsonContext.Default.Problem);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.Found or HttpStatusCode.MovedPermanently or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout or HttpStatusCode.TooManyRequests;

    // The create's 409 "a request with this key is still being processed" (draft-ietf-httpapi-idempotency-key-header).
    private static async Task<bool> IsInProgressAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        response.StatusCode == HttpStatusCode.Conflict && (await ReadProblemAsync(response, cancellationToken).ConfigureAwait(false))?.IsStarting == true;

    private ResiliencePipeline<HttpResponseMessage> CreateRetryPipeline(Action<CreateRetry>? onRetry) =>
        new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = options.Time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = Math.Max(0, options.CreateAttempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = TimeSpan.FromSeconds(10),
                // A 500 is the app's own failure, not a passing one: the user decides whether to send it again.
                ShouldHandle = async args => args.Outcome.Exception is VeoApiException { Status: null }
                    || (args.Outcome.Result is { } response
                        && (IsTransient(response.StatusCode) || await IsInProgressAsync(response, args.Context.CancellationToken).ConfigureAwait(false))),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result)),
                OnRetry = args =>
                {
                    string reason = args.Outcome.Exception?.Message
                        ?? (args.Outcome.Result?.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.Conflict
                            ? $"the app is still starting the job ({(int)args.Outcome.Result.StatusCode})"
                            : $"the app answered {(int?)args.Outcome.Result?.StatusCode}");
                    onRetry?.Invoke(new CreateRetry(args.AttemptNumber + 2, args.RetryDelay, reason));
                    return default;
                },
            })
            .Build();

    // A server's Retry-After is honoured up to half a minute; otherwise Polly's backoff decides (null).
    private static TimeSpan? RetryAfter(HttpResponseMessage? response) =>
        response?.Headers.RetryAfter?.Delta is { } delta ? TimeSpan.FromSeconds(Math.Min(delta.TotalSeconds, 30)) : null;
}
