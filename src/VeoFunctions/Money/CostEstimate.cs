namespace VeoFunctions.Money;

/// <summary>
/// What a job is expected to cost before anything reaches fal: <see cref="Seconds"/> × <see cref="UsdPerSecond"/>, the
/// rate for its resolution and audio. <see cref="PriceSource"/> says where the rate came from: <c>fal</c> (fal's
/// pricing API) or <c>table</c> (the configured table).
/// </summary>
public sealed record CostEstimate(decimal EstimatedUsd, int Seconds, decimal UsdPerSecond, string Resolution, bool Audio, string PriceSource);
