using System.Globalization;
using System.Text.Json.Nodes;

namespace FalEmulator;

/// <summary>
/// fal's Platform API (<c>api.fal.ai/v1</c>) on the same origin: request listing, pricing, billing events and payload
/// deletion (docs/fal.md, "Platform API"). Errors use the Platform shape <c>{"error":{"type","message"}}</c>.
/// </summary>
internal static class PlatformEndpoints
{
    private static readonly TimeSpan DefaultWindow = TimeSpan.FromHours(24);
    private static readonly TimeSpan RequestIdWindow = TimeSpan.FromDays(90);
    private static readonly TimeSpan MaxBillingRange = TimeSpan.FromDays(90);

    public static void Map(IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/v1/models");
        models.MapGet("/requests/by-endpoint", ListRequestsAsync);
        models.MapGet("/pricing", PricingAsync);
        models.MapGet("/billing-events", BillingEventsAsync);
        models.MapDelete("/requests/{requestId}/payloads", DeletePayloadsAsync);
        app.MapFallback("/v1/{**path}", context => FalHttp.PlatformErrorAsync(context, 404, "Not Found"));
    }

    /// <summary>Counts the call, checks the key and applies a call fault; false when the call is already answered.</summary>
    private static async Task<bool> BeginAsync(HttpContext context, EmulatorState state, RequestKind kind, bool admin, IEnumerable<string> requestIds)
    {
        state.Count(kind);
        FalRequest? first = null;
        foreach (var request in requestIds.Select(state.Find).OfType<FalRequest>())
        {
            state.CountFor(request.Id, kind);
            first ??= request;
        }

        return await FalHttp.AuthorizePlatformAsync(context, state, admin).ConfigureAwait(false)
            && !await FalHttp.InjectCallFaultAsync(context, state, kind, first).ConfigureAwait(false);
    }

    private static async Task ListRequestsAsync(HttpContext context, EmulatorState state)
    {
        var query = new PlatformQuery(context.Request.Query);
        var requestIds = query.Values("request_id");
        if (!await BeginAsync(context, state, RequestKind.PlatformRequests, admin: false, requestIds).ConfigureAwait(false))
        {
            return;
        }

        var endpoints = query.Values("endpoint_id");
        if (endpoints.Count == 0)
        {
            query.Fail("'endpoint_id' is required.", 0);
        }

        var now = state.Now();
        var end = query.Time("end") ?? now;
        var start = query.Time("start") ?? now - (requestIds.Count > 0 ? RequestIdWindow : DefaultWindow);
        var statuses = query.OneOf("status", "success", "error", "user_error");
        var payloads = query.OneOf("expand", "payloads").Count > 0;
        var sortBy = query.OneOf("sort_by", "ended_at", "duration") is [var sort, ..] ? sort : "ended_at";
        var limit = query.Limit(50, 100);
        var offset = query.Offset();
        if (query.Error is { } error)
        {
            await FalHttp.PlatformErrorAsync(context, 400, error).ConfigureAwait(false);
            return;
        }

        var started = state.Options.PlatformListing == PlatformListingMode.Started;
        var rows = state.All
            .Select(r => (Request: r, Info: r.ToInfo(), Code: r.StatusCode))
            .Where(r => r.Info.StartedAt is not null && (started || r.Info.CompletedAt is not null))
            .Where(r => endpoints.Contains(r.Info.EndpointId, StringComparer.Ordinal))
            .Where(r => requestIds.Count == 0 || requestIds.Contains(r.Info.RequestId, StringComparer.Ordinal))
            .Where(r => (started ? r.Info.StartedAt : r.Info.CompletedAt) is { } at && at >= start && at < end)
            .Where(r => statuses.Count == 0 || statuses.Contains(StatusClass(r.Code), StringComparer.Ordinal))
            .ToList();

        // Descending, running requests (no end yet) first; ties newest submit first.
        var sorted = (sortBy == "duration"
                ? rows.OrderByDescending(r => Duration(r.Info) ?? double.MaxValue)
                : rows.OrderByDescending(r => r.Info.CompletedAt ?? DateTimeOffset.MaxValue))
            .ThenByDescending(r => r.Request.Sequence)
            .ToList();
        var (items, next, hasMore) = PlatformQuery.Page(sorted, offset, limit);
        var body = new JsonArray();
        foreach (var (request, info, code) in items)
        {
            var item = new JsonObject
            {
                ["request_id"] = info.RequestId,
                ["endpoint_id"] = info.EndpointId,
                ["sent_at"] = Iso(info.SubmittedAt),
                ["started_at"] = Iso(info.StartedAt),
                ["ended_at"] = Iso(info.CompletedAt),
                ["status_code"] = code,
                ["duration"] = Duration(info),
            };
            if (payloads)
            {
                var kept = info.PayloadsDeletedAt is null;
                item["json_input"] = kept ? request.Input.DeepClone() : null;
                item["json_output"] = kept ? (request.Error?.Body ?? request.Output)?.DeepClone() : null;
            }

            body.Add(item);
        }

        await FalHttp.WriteJsonAsync(context, 200, new JsonObject { ["items"] = body, ["next_cursor"] = next, ["has_more"] = hasMore }).ConfigureAwait(false);
    }

    private static async Task PricingAsync(HttpContext context, EmulatorState state)
    {
        if (!await BeginAsync(context, state, RequestKind.Pricing, admin: false, []).ConfigureAwait(false))
        {
            return;
        }

        var endpoints = new PlatformQuery(context.Request.Query).Values("endpoint_id");
        if (endpoints.Count == 0)
        {
            await FalHttp.PlatformErrorAsync(context, 400, "'endpoint_id' is required.").ConfigureAwait(false);
            return;
        }

        var known = endpoints.Where(e => e == VeoInputSchema.EndpointId).Distinct().ToList();
        if (known.Count == 0)
        {
            await FalHttp.PlatformErrorAsync(context, 404, $"Endpoint '{endpoints[0]}' not found.").ConfigureAwait(false);
            return;
        }

        var prices = new JsonArray(known.Select(e => (JsonNode)new JsonObject
        {
            ["endpoint_id"] = e,
            ["unit_price"] = Money(state.Options.UnitPrice),
            ["unit"] = "second",
            ["currency"] = "USD",
        }).ToArray());
        await FalHttp.WriteJsonAsync(context, 200, new JsonObject { ["prices"] = prices, ["next_cursor"] = null, ["has_more"] = false }).ConfigureAwait(false);
    }

    /// <summary>Billed requests, each visible <see cref="EmulatorOptions.BillingDelay"/> after it completed; the window filters on the event time.</summary>
    private static async Task BillingEventsAsync(HttpContext context, EmulatorState state)
    {
        var query = new PlatformQuery(context.Request.Query);
        var requestIds = query.Values("request_id");
        if (!await BeginAsync(context, state, RequestKind.BillingEvents, admin: true, requestIds).ConfigureAwait(false))
        {
            return;
        }

        var endpoints = query.Values("endpoint_id");
        var now = state.Now();
        var end = query.Time("end") ?? now;
        var start = query.Time("start") ?? now - DefaultWindow;
        if (end - start > MaxBillingRange)
        {
            query.Fail("The range from 'start' to 'end' may span at most 90 days.", 0);
        }

        var limit = query.Limit(100, 10_000);
        var offset = query.Offset();
        if (query.Error is { } error)
        {
            await FalHttp.PlatformErrorAsync(context, 400, error).ConfigureAwait(false);
            return;
        }

        var visibleUntil = now - state.Options.BillingDelay;
        var events = state.All
            .Select(r => (Request: r, Info: r.ToInfo()))
            .Where(r => r.Info is { Billed: true, CompletedAt: { } at } && at <= visibleUntil && at >= start && at < end)
            .Where(r => requestIds.Count == 0 || requestIds.Contains(r.Info.RequestId, StringComparer.Ordinal))
            .Where(r => endpoints.Count == 0 || endpoints.Contains(r.Info.EndpointId, StringComparer.Ordinal))
            .OrderByDescending(r => r.Info.CompletedAt)
            .ThenByDescending(r => r.Request.Sequence)
            .ToList();
        var (items, next, hasMore) = PlatformQuery.Page(events, offset, limit);
        var body = new JsonArray();
        foreach (var (request, info) in items)
        {
            var price = VeoPrice.Of(request.Input);
            body.Add(new JsonObject
            {
                ["request_id"] = info.RequestId,
                ["endpoint_id"] = info.EndpointId,
                ["timestamp"] = Iso(info.CompletedAt),
                ["output_units"] = price.Seconds,
                ["unit_price"] = Money(price.UnitPrice),
                ["percent_discount"] = null,
                ["cost_subtotal"] = Money(price.Total),
                ["cost_discount"] = 0,
                ["cost_total"] = Money(price.Total),
                ["cost_estimate_nano_usd"] = (long)(price.Total * 1_000_000_000m),
            });
        }

        await FalHttp.WriteJsonAsync(context, 200, new JsonObject { ["billing_events"] = body, ["next_cursor"] = next, ["has_more"] = hasMore }).ConfigureAwait(false);
    }

    /// <summary>Deletes a completed request's payloads and output file (inputs stay); repeats with one Idempotency-Key get the first answer.</summary>
    private static async Task DeletePayloadsAsync(HttpContext context, string requestId, EmulatorState state)
    {
        if (!await BeginAsync(context, state, RequestKind.DeletePayloads, admin: true, [requestId]).ConfigureAwait(false))
        {
            return;
        }

        var answer = state.PayloadDeletions.GetOrRun(context.Request.Headers["Idempotency-Key"].ToString(), () =>
        {
            if (state.Find(requestId) is not { } request)
            {
                return new CachedAnswer(404, FalHttp.PlatformError(404, $"Request '{requestId}' not found."));
            }

            if (request.DeletePayloads(state.Now()) is not { } deletion)
            {
                return new CachedAnswer(400, FalHttp.PlatformError(400, $"Request '{requestId}' has not completed; only completed requests' payloads can be deleted."));
            }

            var results = new JsonArray();
            if (deletion is { FileId: { } fileId, Link: { } link })
            {
                results.Add(new JsonObject { ["link"] = link, ["exception"] = state.Files.Delete(fileId) ? null : "File not found (already expired or deleted)." });
            }

            return new CachedAnswer(200, new JsonObject { ["cdn_delete_results"] = results });
        });
        await FalHttp.WriteJsonAsync(context, answer.Status, answer.Body).ConfigureAwait(false);
    }

    /// <summary>success = 2xx, user_error = 4xx, error = 5xx (inferred; fal does not define them).</summary>
    private static string? StatusClass(int? code) => code switch
    {
        >= 200 and < 300 => "success",
        >= 400 and < 500 => "user_error",
        >= 500 => "error",
        _ => null,
    };

    /// <summary>Seconds from sent to ended (fal's example: duration = ended_at − sent_at); null while running.</summary>
    private static double? Duration(SubmissionInfo info) =>
        info.CompletedAt is { } ended ? Math.Round((ended - info.SubmittedAt).TotalSeconds, 3) : null;

    private static string? Iso(DateTimeOffset? at) =>
        at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>A USD amount without trailing zeros (0.40m → 0.4).</summary>
    private static decimal Money(decimal amount) => amount / 1.000000000000000000000000000000000m;
}
