namespace Fal.Platform;

/// <summary>
/// fal's base price for one unit of an endpoint's output (<c>GET /v1/models/pricing</c>), as charged to this account
/// (custom pricing or discounts may apply). Resolution or length adjust the real charge proportionally; what was
/// actually billed for a request is in <see cref="FalBillingEvent"/>.
/// </summary>
/// <param name="EndpointId">The endpoint priced.</param>
/// <param name="UnitPrice">The price of one <paramref name="Unit"/>.</param>
/// <param name="Unit">What is counted, e.g. <c>image</c>, <c>video</c>, <c>second</c> or a GPU unit.</param>
/// <param name="Currency">ISO 4217 code, e.g. <c>USD</c>.</param>
public sealed record FalPrice(string EndpointId, decimal UnitPrice, string Unit, string Currency);
