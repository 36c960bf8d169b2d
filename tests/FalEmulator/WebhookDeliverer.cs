using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace FalEmulator;

/// <summary>Builds, signs and POSTs the completion webhook, with retries; records every attempt.</summary>
internal sealed class WebhookDeliverer(EmulatorState state, HttpClient http, ILogger<WebhookDeliverer> logger)
{
    public async Task DeliverAsync(FalRequest request, CancellationToken shutdown)
    {
        if (request.WebhookUrl is null || !Uri.TryCreate(request.WebhookUrl, UriKind.Absolute, out var url))
        {
            return;
        }

        var (status, body) = BuildBody(request);
        var fault = request.WebhookFault;
        var headerId = fault is { Kind: FaultKind.GatewayRetry, GatewayIdInHeader: true } ? request.GatewayRequestId : request.Id;
        if (fault?.Kind == FaultKind.WebhookDrop)
        {
            state.Record(new WebhookDeliveryInfo(request.Id, request.WebhookUrl, 1, 0, state.Now(), null, "dropped (fault)", false, true, false, status, Encoding.UTF8.GetString(body), headerId));
            return;
        }

        if (fault?.Delay is { } delay && delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, state.Options.TimeProvider, shutdown).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        var copies = fault?.Kind == FaultKind.WebhookDuplicate ? Math.Max(1, fault.Deliveries) : 1;
        var wrongKey = fault?.Kind == FaultKind.WebhookWrongKey;
        var delivery = new Delivery(request.Id, headerId, url, status, body, wrongKey);
        await Task.WhenAll(Enumerable.Range(1, copies).Select(copy => Task.Run(() => DeliverCopyAsync(delivery, copy, shutdown))))
            .ConfigureAwait(false);
    }

    /// <summary>One webhook as built once and sent by every copy and attempt; <paramref name="HeaderId"/> goes in X-Fal-Webhook-Request-Id and the signature.</summary>
    private sealed record Delivery(string RequestId, string HeaderId, Uri Url, string Status, byte[] Body, bool WrongKey);

    /// <summary>The webhook JSON: OK → payload = output; ERROR → payload = error detail, error = message.</summary>
    private static (string Status, byte[] Body) BuildBody(FalRequest request)
    {
        var payloadError = request.WebhookFault?.Kind == FaultKind.WebhookPayloadError;
        JsonObject json;
        if (request.Error is { } error)
        {
            json = new JsonObject
            {
                ["request_id"] = request.Id,
                ["gateway_request_id"] = request.GatewayRequestId,
                ["status"] = "ERROR",
                ["payload"] = error.Body.DeepClone(),
                ["error"] = string.Create(CultureInfo.InvariantCulture, $"Invalid status code: {error.HttpStatus}"),
                ["payload_error"] = null,
            };
        }
        else
        {
            json = new JsonObject
            {
                ["request_id"] = request.Id,
                ["gateway_request_id"] = request.GatewayRequestId,
                ["status"] = "OK",
                ["payload"] = payloadError ? null : request.Output?.DeepClone(),
                ["error"] = null,
                ["payload_error"] = payloadError ? "Response payload could not be serialized (emulated)." : null,
            };
        }

        return ((string)json["status"]!, Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    /// <summary>
    /// Sends the request's webhook once more, freshly signed, as fal does when it retries a delivery it did not see
    /// answered (so a test can deliver a duplicate when it chooses, e.g. after the job ended); returns the attempt.
    /// </summary>
    public async Task<WebhookDeliveryInfo?> ResendAsync(FalRequest request, CancellationToken cancellationToken)
    {
        if (request.WebhookUrl is null || !Uri.TryCreate(request.WebhookUrl, UriKind.Absolute, out var url))
        {
            return null;
        }

        var (status, body) = BuildBody(request);
        var info = await AttemptAsync(new Delivery(request.Id, request.Id, url, status, body, WrongKey: false), copy: 0, attempt: 1, cancellationToken).ConfigureAwait(false);
        state.Record(info);
        return info;
    }

    private async Task<WebhookDeliveryInfo> AttemptAsync(Delivery delivery, int copy, int attempt, CancellationToken shutdown)
    {
        var (requestId, headerId, url, status, body, wrongKey) = delivery;
        var options = state.Options;
        var at = options.TimeProvider.GetUtcNow();
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = state.Keys.Sign(headerId, options.WebhookUserId, timestamp, body, wrongKey);
        using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.Add("X-Fal-Webhook-Request-Id", headerId);
        message.Headers.Add("X-Fal-Webhook-User-Id", options.WebhookUserId);
        message.Headers.Add("X-Fal-Webhook-Timestamp", timestamp);
        message.Headers.Add("X-Fal-Webhook-Signature", signature);

        int? code = null;
        string? error = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
            timeout.CancelAfter(options.WebhookAttemptTimeout);
            using var response = await http.SendAsync(message, timeout.Token).ConfigureAwait(false);
            code = (int)response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or ObjectDisposedException)
        {
            error = ex.GetType().Name + ": " + ex.Message;
        }

        return new WebhookDeliveryInfo(requestId, url.ToString(), copy, attempt, at, code, error, code is >= 200 and < 300, false, wrongKey, status, Encoding.UTF8.GetString(body), headerId, timestamp, signature);
    }

    private async Task DeliverCopyAsync(Delivery delivery, int copy, CancellationToken shutdown)
    {
        var options = state.Options;
        var time = options.TimeProvider;
        var maxAttempts = Math.Max(1, options.WebhookMaxAttempts);
        for (var attempt = 1; attempt <= maxAttempts && !shutdown.IsCancellationRequested; attempt++)
        {
            var info = await AttemptAsync(delivery, copy, attempt, shutdown).ConfigureAwait(false);
            if (!info.Succeeded && shutdown.IsCancellationRequested)
            {
                return; // the emulator stopped or was reset: not an attempt fal made
            }

            state.Record(info);
            if (info.Succeeded)
            {
                return;
            }

            logger.LogInformation("Webhook for {RequestId} attempt {Attempt} failed: {Code} {Error}", delivery.RequestId, attempt, info.StatusCode, info.Error);
            if (attempt < maxAttempts)
            {
                var delay = TimeSpan.FromTicks(Math.Min(options.WebhookRetryMaxDelay.Ticks, options.WebhookRetryBaseDelay.Ticks * (1L << Math.Min(attempt - 1, 30))));
                try
                {
                    await Task.Delay(delay, time, shutdown).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
