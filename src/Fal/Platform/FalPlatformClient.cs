using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fal.Platform;

/// <summary>
/// fal's Platform API (<c>api.fal.ai/v1</c>): an endpoint's request history, prices, what a request was billed, and
/// deletion of a request's stored payloads. History and prices take the usual API-scope <see cref="FalOptions.Key"/>;
/// billing and deletion need <see cref="FalOptions.AdminKey"/> and throw <see cref="FalAdminKeyRequiredException"/>
/// without it. Every call is safe to repeat and is retried like the queue's reads (429, 5xx, network failures).
/// </summary>
public sealed partial class FalPlatformClient(HttpClient http, IOptions<FalOptions> options, TimeProvider time, ILogger<FalPlatformClient> logger)
{
    // The largest page fal allows for request history; billing pages are at least this large.
    private const int PageSize = 100;

    // fal looks back only 24 h by default and allows at most 90 days: ask for all but a day of it.
    private static readonly TimeSpan BillingLookBack = TimeSpan.FromDays(89);

    private readonly FalOptions _options = options.Value;
    private readonly FalRetry _retry = new(options.Value, time);

    /// <summary>True when an ADMIN-scope key is configured, so billing and payload deletion can be called.</summary>
    public bool HasAdminKey => !string.IsNullOrWhiteSpace(_options.AdminKey);

    /// <summary>
    /// The requests fal recorded for <paramref name="endpointId"/> (the full id, path included) from
    /// <paramref name="start"/> to <paramref name="end"/> (exclusive; now when null), page by page as they are enumerated.
    /// With <paramref name="withPayloads"/>, each carries its stored input and output: what a lost submit is recognised by.
    /// </summary>
    public async IAsyncEnumerable<FalRequestRecord> ListRequestsByEndpointAsync(
        string endpointId, DateTimeOffset start, DateTimeOffset? end, bool withPayloads, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpointId);
        var query = new List<(string, string)> { ("endpoint_id", endpointId), ("start", Iso(start)) };
        if (end is { } until)
        {
            query.Add(("end", Iso(until)));
        }

        if (withPayloads)
        {
            query.Add(("expand", "payloads"));
        }

        query.Add(("limit", PageSize.ToString(CultureInfo.InvariantCulture)));
        await foreach (var item in PagesAsync<RequestsPage, RequestItem>("models/requests/by-endpoint", query, _options.Key, FalWireJsonContext.Default.RequestsPage, cancellationToken).ConfigureAwait(false))
        {
            yield return new FalRequestRecord(
                Required(item.RequestId, "request_id"),
                Required(item.EndpointId, "endpoint_id"),
                Required(item.SentAt, "sent_at"),
                Required(item.StartedAt, "started_at"),
                item.EndedAt,
                item.StatusCode,
                item.Duration is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                item.JsonInput,
                item.JsonOutput);
        }
    }

    /// <summary>fal's unit prices for <paramref name="endpointId"/>, as charged to this account.</summary>
    public async Task<IReadOnlyList<FalPrice>> GetPricingAsync(string endpointId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpointId);
        var prices = new List<FalPrice>();
        await foreach (var item in PagesAsync<PricesPage, PriceItem>("models/pricing", [("endpoint_id", endpointId)], _options.Key, FalWireJsonContext.Default.PricesPage, cancellationToken).ConfigureAwait(false))
        {
            prices.Add(new FalPrice(Required(item.EndpointId, "endpoint_id"), Required(item.UnitPrice, "unit_price"), Required(item.Unit, "unit"), Required(item.Currency, "currency")));
        }

        return prices;
    }

    /// <summary>
    /// What fal billed for <paramref name="requestId"/> (ADMIN key), over the last 89 days: fal's own default window is
    /// 24 hours and its limit 90 days. Empty when nothing was billed (or not yet recorded).
    /// </summary>
    /// <exception cref="FalAdminKeyRequiredException">No <see cref="FalOptions.AdminKey"/> is configured.</exception>
    public async Task<IReadOnlyList<FalBillingEvent>> GetBillingEventsAsync(string requestId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        string key = AdminKey(nameof(GetBillingEventsAsync));
        var query = new List<(string, string)>
        {
            ("request_id", requestId),
            ("start", Iso(time.GetUtcNow() - BillingLookBack)),
            ("limit", PageSize.ToString(CultureInfo.InvariantCulture)),
        };
        var events = new List<FalBillingEvent>();
        await foreach (var item in PagesAsync<BillingPage, BillingItem>("models/billing-events", query, key, FalWireJsonContext.Default.BillingPage, cancellationToken).ConfigureAwait(false))
        {
            // cost_total (USD) arrived in 2026; older answers carry only the estimate in nano-dollars.
            decimal cost = item.CostTotal ?? (item.CostEstimateNanoUsd is { } nano ? nano / 1_000_000_000m : throw Malformed("cost_total"));
            events.Add(new FalBillingEvent(
                Required(item.RequestId, "request_id"), Required(item.EndpointId, "endpoint_id"), Required(item.Timestamp, "timestamp"), item.OutputUnits, item.UnitPrice, cost));
        }

        return events;
    }

    /// <summary>
    /// Deletes <paramref name="requestId"/>'s stored input and output and the output's CDN files (ADMIN key). Irreversible.
    /// fal answers a repeated <paramref name="idempotencyKey"/> from its cache for 10 minutes; without one, a key is made
    /// for this call so that its own retries get the first answer rather than a second deletion's.
    /// </summary>
    /// <exception cref="FalAdminKeyRequiredException">No <see cref="FalOptions.AdminKey"/> is configured.</exception>
    public async Task<FalPayloadDeletion> DeletePayloadsAsync(string requestId, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        string key = AdminKey(nameof(DeletePayloadsAsync));
        string idempotency = string.IsNullOrWhiteSpace(idempotencyKey) ? Guid.NewGuid().ToString("N") : idempotencyKey;
        var url = Url($"models/requests/{Uri.EscapeDataString(requestId)}/payloads", []);
        var answer = await _retry.ExecuteAsync(async ct =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, url);
            FalHttp.Authorize(request, key);
            request.Headers.Add("Idempotency-Key", idempotency);
            using var response = await FalHttp.SendAsync(http, request, ct).ConfigureAwait(false);
            return await FalHttp.ReadJsonAsync(response, FalWireJsonContext.Default.PayloadDeletionResponse, ct).ConfigureAwait(false);
        }, ex => FalRetry.IsRetryableRead(ex, alsoInternalError: true, cancellationToken), cancellationToken).ConfigureAwait(false);

        var files = (answer.Results ?? []).Select(r => new FalCdnFileDeletion(Required(r.Link, "link"), r.Exception)).ToList();
        var deletion = new FalPayloadDeletion(requestId, files);
        Log.PayloadsDeleted(logger, requestId, files.Count(f => f.Deleted), files.Count(f => !f.Deleted));
        return deletion;
    }

    // Follows fal's opaque cursors to has_more = false, one retried GET per page. A cursor is only ever echoed, never
    // built; one that repeats would loop forever, so it ends the listing with an error instead.
    private async IAsyncEnumerable<TItem> PagesAsync<TPage, TItem>(
        string path, IReadOnlyList<(string Name, string Value)> query, string key, JsonTypeInfo<TPage> pageType, [EnumeratorCancellation] CancellationToken cancellationToken)
        where TPage : IFalPage<TItem>
    {
        string? cursor = null;
        while (true)
        {
            var url = Url(path, cursor is null ? query : [.. query, ("cursor", cursor)]);
            var page = await GetAsync(url, key, pageType, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items ?? [])
            {
                yield return item;
            }

            if (!page.HasMore || string.IsNullOrEmpty(page.NextCursor))
            {
                yield break;
            }

            if (page.NextCursor == cursor)
            {
                throw new FalApiException($"fal answered the same next_cursor twice for {path}; stopped rather than loop.");
            }

            cursor = page.NextCursor;
        }
    }

    private Task<T> GetAsync<T>(Uri url, string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken) =>
        _retry.ExecuteAsync(async ct =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            FalHttp.Authorize(request, key);
            using var response = await FalHttp.SendAsync(http, request, ct).ConfigureAwait(false);
            return await FalHttp.ReadJsonAsync(response, typeInfo, ct).ConfigureAwait(false);
        }, ex => FalRetry.IsRetryableRead(ex, alsoInternalError: true, cancellationToken), cancellationToken);

    private Uri Url(string path, IReadOnlyList<(string Name, string Value)> query)
    {
        string url = $"{_options.PlatformBaseUrl.AbsoluteUri.TrimEnd('/')}/{path}";
        return new Uri(query.Count == 0 ? url : $"{url}?{string.Join('&', query.Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value)}"))}");
    }

    private string AdminKey(string operation) =>
        HasAdminKey ? _options.AdminKey! : throw new FalAdminKeyRequiredException(operation);

    // ISO 8601 in UTC, fractions only when there are any: 2026-08-20T09:14:02Z.
    internal static string Iso(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static T Required<T>(T? value, string field) where T : class => value ?? throw Malformed(field);

    private static T Required<T>(T? value, string field) where T : struct => value ?? throw Malformed(field);

    private static FalApiException Malformed(string field) => new($"fal's Platform API answered without the required field {field}.");

    private static partial class Log
    {
        [LoggerMessage(1201, LogLevel.Information, "Deleted the stored payloads of fal request {RequestId}: {Deleted} CDN files deleted, {Failed} not")]
        public static partial void PayloadsDeleted(ILogger logger, string requestId, int deleted, int failed);
    }
}
