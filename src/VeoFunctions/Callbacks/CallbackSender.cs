using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StandardWebhooks;
using VeoFunctions.Images;
using VeoFunctions.Jobs;

namespace VeoFunctions.Callbacks;

/// <summary>
/// POSTs a job's status document to the caller's <c>callback_url</c>, signed by the Standard Webhooks scheme so the
/// caller can verify it with the library they already use: <c>webhook-id</c> (the same on every retry, receivers
/// dedupe on it), <c>webhook-timestamp</c> (fresh per attempt, receivers refuse stale ones) and
/// <c>webhook-signature: v1,base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))</c>.
/// </summary>
/// <remarks>
/// <para>Signing is the <c>StandardWebhooks</c> package's <see cref="StandardWebhook.MakeHttpContent{T}(T, string, DateTimeOffset, JsonSerializerOptions)"/>:
/// it serializes the body once and signs exactly the bytes it sends, so the signature cannot drift from the body.</para>
/// <para>The <see cref="HttpClient"/> must use <see cref="SafeImageDownloader.CreateHandler(ImageOptions)"/>: a callback is a
/// request our servers make on a user's behalf, so it is vetted at connect time like an image download (SSRF), and
/// redirects are never followed (a 3xx is the receiver's answer, and a redirect could aim the signed body anywhere).</para>
/// <para>Outcomes are split like image failures: a 2xx is delivered; 5xx, 408, 429, timeouts and network errors throw
/// <see cref="CallbackDeliveryException"/> for the durable retry; any other answer, a URL the policy refuses and a
/// missing secret return an undelivered <see cref="CallbackOutcome"/>, since no retry can change them.</para>
/// </remarks>
public sealed class CallbackSender(
    HttpClient httpClient,
    IOptions<CallbackOptions> options,
    IOptions<ImageOptions> imageOptions,
    TimeProvider time,
    ILogger<CallbackSender> logger)
{
    /// <summary>The Standard Webhooks headers, as sent.</summary>
    public const string IdHeader = "webhook-id", TimestampHeader = "webhook-timestamp", SignatureHeader = "webhook-signature";

    /// <summary>Most of a refusing receiver's body read (for the reason); the rest is never read.</summary>
    internal const int MaxResponseBytes = 1024;

    /// <summary>Longest accepted event id: a header value, which receivers store to dedupe.</summary>
    public const int MaxEventIdLength = 256;

    /// <summary>
    /// Whether <paramref name="eventId"/> can be a <c>webhook-id</c>: 1 to <see cref="MaxEventIdLength"/> printable ASCII
    /// characters, no spaces (HTTP headers carry ASCII only; a job id from a user's manifest may need hashing first).
    /// </summary>
    public static bool IsValidEventId(string? eventId) =>
        !string.IsNullOrEmpty(eventId) && eventId.Length <= MaxEventIdLength && eventId.All(c => c is > ' ' and <= '~');

    // The same document GET /api/videos/{id} answers (ASP.NET Core's web defaults: camelCase).
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly ProductInfoHeaderValue UserAgent = new(
        "VeoFunctions-Callbacks",
        typeof(CallbackSender).Assembly.GetName().Version?.ToString(3) ?? "1.0.0");

    private readonly StandardWebhook? _signer =
        CallbackOptions.TryDecodeSecret(options.Value.SigningSecret, out byte[] key) ? new StandardWebhook(key) : null;

    /// <summary>Sends one attempt.</summary>
    /// <param name="url">The caller's callback URL; checked again here, whatever checked it before.</param>
    /// <param name="eventId">The <c>webhook-id</c>: the same for every attempt of one event.</param>
    /// <param name="status">The job's status document, the body.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>Delivered, or why it never will be.</returns>
    /// <exception cref="CallbackDeliveryException">A failure a later attempt may not meet.</exception>
    public async Task<CallbackOutcome> SendAsync(Uri url, string eventId, JobStatus status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(status);
        if (!IsValidEventId(eventId))
        {
            throw new ArgumentException($"An event id is 1 to {MaxEventIdLength} printable ASCII characters without spaces (it travels as a header).", nameof(eventId));
        }

        if (_signer is null)
        {
            return Refused(status.JobId, null, $"No callback signing secret is configured ({CallbackOptions.SectionName}:{nameof(CallbackOptions.SigningSecret)}), so the callback was not sent.");
        }

        if (!CallbackUrlPolicy.TryValidate(url, imageOptions.Value, out string? reason))
        {
            return Refused(status.JobId, null, reason);
        }

        string redacted = UrlRedaction.Redact(url);
        var limits = options.Value;
        using var timeout = new CancellationTokenSource(limits.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = _signer.MakeHttpContent(status, eventId, time.GetUtcNow(), Json),
            };
            request.Headers.UserAgent.Add(UserAgent);
            using var response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);

            int code = (int)response.StatusCode;
            if (code is >= 200 and < 300)
            {
                CallbackLogs.Delivered(logger, status.JobId, eventId, redacted, code);
                return new CallbackOutcome(true, code, null);
            }

            string answer = SafeImageDownloader.Describe(response.StatusCode) + await ReadReasonAsync(response.Content, linked.Token, cancellationToken).ConfigureAwait(false);
            if (code is 408 or 429 or >= 500)
            {
                throw new CallbackDeliveryException($"The callback to {redacted} failed for now: the receiver answered {answer}.", code);
            }

            return Refused(
                status.JobId,
                code,
                code is >= 300 and < 400
                    ? $"The callback to {redacted} was not delivered: the receiver answered {answer}, and callbacks do not follow redirects."
                    : $"The callback to {redacted} was refused: the receiver answered {answer}.");
        }
        catch (CallbackDeliveryException ex)
        {
            CallbackLogs.WillRetry(logger, status.JobId, eventId, ex.Message, null);
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (timeout.IsCancellationRequested && ex is OperationCanceledException or IOException or HttpRequestException)
        {
            double seconds = limits.Timeout.TotalSeconds;
            string message = FormattableString.Invariant($"The callback to {redacted} failed for now: the receiver did not answer within {seconds:0.#} {(seconds == 1 ? "second" : "seconds")}.");
            CallbackLogs.WillRetry(logger, status.JobId, eventId, message, ex);
            throw new CallbackDeliveryException(message, null, ex);
        }
        catch (HttpRequestException ex) when (SafeImageDownloader.FindInner<BlockedAddressException>(ex) is { } blocked)
        {
            CallbackLogs.BlockedAddress(logger, status.JobId, blocked.Host, blocked.Address);
            return Refused(status.JobId, null, $"The callback URL {redacted} points to a private or reserved network address, which is not allowed.");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // Name resolution and TLS failures too: a receiver's DNS or certificate may well be fixed within the hours of retries.
            string message = $"The callback to {redacted} failed for now: the receiver could not be reached ({ex.Message.TrimEnd('.')}).";
            CallbackLogs.WillRetry(logger, status.JobId, eventId, message, ex);
            throw new CallbackDeliveryException(message, null, ex);
        }
    }

    private CallbackOutcome Refused(string jobId, int? statusCode, string reason)
    {
        CallbackLogs.Refused(logger, jobId, reason);
        return new CallbackOutcome(false, statusCode, reason);
    }

    /// <summary>
    /// The start of a refusing receiver's body as " (…)", one line of printable text, or "" when there is none. Read
    /// only up to <see cref="MaxResponseBytes"/>, so a hostile receiver cannot make us read or keep more; a body that
    /// breaks off or stalls past the attempt's time gives what came, since the status already decided the outcome.
    /// </summary>
    private static async Task<string> ReadReasonAsync(HttpContent content, CancellationToken attempt, CancellationToken caller)
    {
        const int MaxChars = 200;
        var buffer = new byte[MaxResponseBytes];
        int total = 0;
        try
        {
            var stream = await content.ReadAsStreamAsync(attempt).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                int read;
                while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), attempt).ConfigureAwait(false)) > 0)
                {
                    total += read;
                }
            }
        }
        catch (Exception ex) when (!caller.IsCancellationRequested && ex is IOException or HttpRequestException or OperationCanceledException)
        {
            // What came is enough.
        }

        var text = new StringBuilder();
        bool space = false;
        foreach (char c in Encoding.UTF8.GetString(buffer, 0, total))
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                space = text.Length > 0;
                continue;
            }

            if (text.Length >= MaxChars)
            {
                text.Append('…');
                break;
            }

            text.Append(space ? " " : "").Append(c);
            space = false;
        }

        return text.Length == 0 ? "" : $" ({text})";
    }
}
