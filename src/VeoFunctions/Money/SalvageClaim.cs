using VeoFunctions.Jobs;

namespace VeoFunctions.Money;

/// <summary>
/// A job closed without its video, and a successful delivery for it: what its salvage run archives.
/// <see cref="Won"/>: this delivery made the claim, so it starts the run; later ones only make sure it exists.
/// </summary>
public sealed record SalvageClaim(ArchivePlan Plan, FalWebhookEvent Delivered, bool Won);
