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
        if (fault?.Kind == FaultKind.WebhookDrop)
        {
            state.Record(new WebhookDeliveryInfo(request.Id, request.WebhookUrl, 1, 0, state.Options.TimeProvider.GetUtcNow(), null, "dropped (fault)", false, true, false, status, Encoding.UTF8.GetString(body)));
            return;
        }

        var copies = fault?.Kind == FaultKind.WebhookDuplicate ? Math.Max(1, fault.Deliveries) : 1;
        var wrongKey = fault?.Kind == FaultKind.WebhookWrongKey;
        await Task.WhenAll(Enumerable.Range(1, copies).Select(copy => Task.Run(() => DeliverCopyAsync(request, url, status, body, copy, wrongKey, shutdown))))
            .ConfigureAwait(false);
    }

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
                ["gateway_request_id"] = request.Id,
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
                ["gateway_request_id"] = request.Id,
                ["status"] = "OK",
                ["payload"] = payloadError ? null : request.Output?.DeepClone(),
                ["error"] = null,
                ["payload_error"] = payloadError ? "Response payload could not be serialized (emulated)." : null,
            };
        }

        return ((string)json["status"]!, Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    private async Task DeliverCopyAsync(FalRequest request, Uri url, string status, byte[] body, int copy, bool wrongKey, CancellationToken shutdown)
    {
        var options = state.Options;
        var time = options.TimeProvider;
        var maxAttempts = Math.Max(1, options.WebhookMaxAttempts);
        for (var attempt = 1; attempt <= maxAttempts && !shutdown.IsCancellationRequested; attempt++)
        {
            var at = time.GetUtcNow();
            var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var signature = state.Keys.Sign(request.Id, options.WebhookUserId, timestamp, body, wrongKey);
            using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            message.Headers.Add("X-Fal-Webhook-Request-Id", request.Id);
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
                if (shutdown.IsCancellationRequested)
                {
                    return;
                }

                error = ex.GetType().Name + ": " + ex.Message;
            }

            var ok = code is >= 200 and < 300;
            state.Record(new WebhookDeliveryInfo(request.Id, url.ToString(), copy, attempt, at, code, error, ok, false, wrongKey, status, Encoding.UTF8.GetString(body)));
            if (ok)
            {
                return;
            }

            logger.LogInformation("Webhook for {RequestId} attempt {Attempt} failed: {Code} {Error}", request.Id, attempt, code, error);
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
