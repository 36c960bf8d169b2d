namespace VeoFunctions.Jobs;

/// <summary>The salvage orchestration's input: the closed job's plan, the request fal ran, and what fal delivered.</summary>
public sealed record SalvageInput(ArchivePlan Plan, FalJob Fal, FalWebhookEvent Delivered);
