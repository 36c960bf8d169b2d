namespace VeoFunctions.Money;

/// <summary>
/// A job's estimate, made at the door, and the UTC day whose budget it reserves (null when no budget is set). Carried
/// in the job's input, so the orchestrator settles the same day's budget with the same estimate the door used.
/// </summary>
public sealed record JobQuote(CostEstimate Estimate, DateOnly? BudgetDay);
