namespace VeoFunctions.Jobs;

/// <summary>A successful delivery from fal that reached the job's record before the job could close without a video.</summary>
public sealed record LateDelivery(FalJob Fal, FalWebhookEvent Delivered);
