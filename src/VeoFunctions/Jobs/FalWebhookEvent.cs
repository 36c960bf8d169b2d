namespace VeoFunctions.Jobs;

/// <summary>The verified webhook, reduced to what the orchestrator needs (raised as an external event).</summary>
public sealed record FalWebhookEvent(string RequestId, bool Ok, string? VideoUrl, string? ContentType, long? FileSize, string? Error);
