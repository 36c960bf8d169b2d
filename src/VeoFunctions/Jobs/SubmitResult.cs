namespace VeoFunctions.Jobs;

/// <summary>
/// What the submit step knows: the request fal accepted, or why fal's answer is unknown. In the second case fal
/// may still have the request: its webhook (whose URL names the job) or fal's request list will say which it is.
/// </summary>
public sealed record SubmitResult(FalJob? Accepted, string? AnswerLost);
