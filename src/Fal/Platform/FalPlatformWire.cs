using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fal.Platform;

// The Platform API's JSON as it arrives; mapped to the public records so wire quirks stay here. Every list answer
// pages the same way: items under an answer-specific name, an opaque next_cursor, has_more.
internal interface IFalPage<out TItem>
{
    IReadOnlyList<TItem>? Items { get; }

    string? NextCursor { get; }

    bool HasMore { get; }
}

internal sealed record RequestsPage(
    [property: JsonPropertyName("items")] IReadOnlyList<RequestItem>? Items,
    [property: JsonPropertyName("next_cursor")] string? NextCursor,
    [property: JsonPropertyName("has_more")] bool HasMore) : IFalPage<RequestItem>;

internal sealed record RequestItem(
    [property: JsonPropertyName("request_id")] string? RequestId,
    [property: JsonPropertyName("endpoint_id")] string? EndpointId,
    [property: JsonPropertyName("sent_at")] DateTimeOffset? SentAt,
    [property: JsonPropertyName("started_at")] DateTimeOffset? StartedAt,
    [property: JsonPropertyName("ended_at")] DateTimeOffset? EndedAt,
    [property: JsonPropertyName("status_code")] int? StatusCode,
    [property: JsonPropertyName("duration")] double? Duration,
    [property: JsonPropertyName("json_input")] JsonElement? JsonInput,
    [property: JsonPropertyName("json_output")] JsonElement? JsonOutput);

internal sealed record PricesPage(
    [property: JsonPropertyName("prices")] IReadOnlyList<PriceItem>? Items,
    [property: JsonPropertyName("next_cursor")] string? NextCursor,
    [property: JsonPropertyName("has_more")] bool HasMore) : IFalPage<PriceItem>;

internal sealed record PriceItem(
    [property: JsonPropertyName("endpoint_id")] string? EndpointId,
    [property: JsonPropertyName("unit_price")] decimal? UnitPrice,
    [property: JsonPropertyName("unit")] string? Unit,
    [property: JsonPropertyName("currency")] string? Currency);

internal sealed record BillingPage(
    [property: JsonPropertyName("billing_events")] IReadOnlyList<BillingItem>? Items,
    [property: JsonPropertyName("next_cursor")] string? NextCursor,
    [property: JsonPropertyName("has_more")] bool HasMore) : IFalPage<BillingItem>;

internal sealed record BillingItem(
    [property: JsonPropertyName("request_id")] string? RequestId,
    [property: JsonPropertyName("endpoint_id")] string? EndpointId,
    [property: JsonPropertyName("timestamp")] DateTimeOffset? Timestamp,
    [property: JsonPropertyName("output_units")] decimal? OutputUnits,
    [property: JsonPropertyName("unit_price")] decimal? UnitPrice,
    [property: JsonPropertyName("cost_total")] decimal? CostTotal,
    [property: JsonPropertyName("cost_estimate_nano_usd")] decimal? CostEstimateNanoUsd);

internal sealed record PayloadDeletionResponse(
    [property: JsonPropertyName("cdn_delete_results")] IReadOnlyList<CdnDeleteItem>? Results);

internal sealed record CdnDeleteItem(
    [property: JsonPropertyName("link")] string? Link,
    [property: JsonPropertyName("exception")] string? Exception);
