using VeoFunctions.Jobs;

namespace VeoFunctions.Money;

/// <summary>A job closed without its video, and a successful delivery for it: what its salvage run archives.</summary>
public sealed record SalvageClaim(ArchivePlan Plan, FalWebhookEvent Delivered);
