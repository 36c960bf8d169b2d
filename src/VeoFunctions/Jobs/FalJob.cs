namespace VeoFunctions.Jobs;

/// <summary>A request fal accepted, as kept with the job the moment submit answered.</summary>
public sealed record FalJob(string RequestId, Uri StatusUrl, Uri ResponseUrl, Uri CancelUrl, int? QueuePosition, DateTimeOffset SubmittedAt);
