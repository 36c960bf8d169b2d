using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fal.Queue;

// fal's JSON as it arrives; mapped to the public records above so wire quirks stay here.
internal sealed record SubmitResponse(
    [property: JsonPropertyName("request_id")] string? RequestId,
    [property: JsonPropertyName("status_url")] string? StatusUrl,
    [property: JsonPropertyName("response_url")] string? ResponseUrl,
    [property: JsonPropertyName("cancel_url")] string? CancelUrl,
    [property: JsonPropertyName("queue_position")] int? QueuePosition);

internal sealed record StatusResponse(
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("queue_position")] int? QueuePosition,
    [property: JsonPropertyName("logs")] List<LogResponse>? Logs,
    [property: JsonPropertyName("metrics")] MetricsResponse? Metrics,
    [property: JsonPropertyName("error")] JsonElement? Error,
    [property: JsonPropertyName("error_type")] string? ErrorType);

internal sealed record LogResponse(
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("level")] string? Level,
    [property: JsonPropertyName("timestamp")] string? Timestamp);

internal sealed record MetricsResponse([property: JsonPropertyName("inference_time")] double? InferenceTime);

internal sealed record CancelResponse([property: JsonPropertyName("status")] string? Status);
