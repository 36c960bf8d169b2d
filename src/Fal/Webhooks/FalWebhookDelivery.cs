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
}
