using System.Text.Json;

namespace Fal.Platform;

/// <summary>
/// One request in fal's history of an endpoint (<c>GET /v1/models/requests/by-endpoint</c>). There is no status field:
/// <see cref="StatusCode"/> is the HTTP status the request ended with, and <see cref="EndedAt"/> is null while it has not
/// ended. <see cref="JsonInput"/> and <see cref="JsonOutput"/> are present only when payloads were asked for and fal still
/// stores them (30 days by default; never for a submit sent with <c>X-Fal-Store-IO: 0</c>, nor after payload deletion).
/// </summary>
/// <param name="RequestId">The queue's request id.</param>
/// <param name="EndpointId">The full endpoint id, path included.</param>
/// <param name="SentAt">When the request was sent to the backend.</param>
/// <param name="StartedAt">When processing started.</param>
/// <param name="EndedAt">When it ended; null while it has not.</param>
/// <param name="StatusCode">The HTTP status it ended with, when fal says.</param>
/// <param name="Duration">How long it ran, when fal says.</param>
/// <param name="JsonInput">The input as fal stored it.</param>
/// <param name="JsonOutput">The output as fal stored it.</param>
public sealed record FalRequestRecord(
    string RequestId,
    string EndpointId,
    DateTimeOffset SentAt,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    int? StatusCode,
    TimeSpan? Duration,
    JsonElement? JsonInput,
    JsonElement? JsonOutput);
