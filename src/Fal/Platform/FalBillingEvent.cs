namespace Fal.Platform;

/// <summary>
/// What fal charged for (part of) a request (<c>GET /v1/models/billing-events</c>, ADMIN key).
/// </summary>
/// <param name="RequestId">The queue's request id.</param>
/// <param name="EndpointId">The endpoint that ran it.</param>
/// <param name="Timestamp">When fal recorded the charge.</param>
/// <param name="OutputUnits">How many units were billed, when fal says.</param>
/// <param name="UnitPrice">The price of one unit, when fal says.</param>
/// <param name="CostTotal">
/// USD charged: fal's <c>cost_total</c>, or, from fal's older answers that lack it, <c>cost_estimate_nano_usd</c> / 10⁹.
/// </param>
public sealed record FalBillingEvent(string RequestId, string EndpointId, DateTimeOffset Timestamp, decimal? OutputUnits, decimal? UnitPrice, decimal CostTotal);
