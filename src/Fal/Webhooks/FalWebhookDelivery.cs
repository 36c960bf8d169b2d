using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fal.Webhooks;

/// <summary>
/// The body fal POSTs to a webhook. <see cref="Payload"/> is the model output on OK and the error detail on
/// ERROR; it is null with <see cref="PayloadError"/> set when fal could not serialise the output (then fetch
/// the result from the queue).
/// </summary>
public sealed record FalWebhookDelivery(
    [property: JsonPropertyName("request_id")] string? RequestId,
    [property: JsonPropertyName("gateway_request_id")] string? GatewayRequestId,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("payload")] JsonElement? Payload,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("payload_error")] string? PayloadError)
{
    public bool IsOk => string.Equals(Status, "OK", StringComparison.OrdinalIgnoreCase);

    public bool HasPayload => Payload is { ValueKind: JsonValueKind.Object };

    /// <summary>
    /// Whether the id in the signed <c>X-Fal-Webhook-Request-Id</c> header names this delivery: it equals
    /// <see cref="RequestId"/> or <see cref="GatewayRequestId"/>. fal does not say which id the header carries, and the two
    /// differ when fal retried the request internally (the gateway id is then its last attempt). Verify the signature
    /// with the header as sent, check it with this, and key the job on <see cref="RequestId"/>, the queue's id.
    /// </summary>
    public bool IsNamedBy(string? signedRequestId) =>
        !string.IsNullOrEmpty(signedRequestId)
        && (string.Equals(signedRequestId, RequestId, StringComparison.Ordinal) || string.Equals(signedRequestId, GatewayRequestId, StringComparison.Ordinal));
}
