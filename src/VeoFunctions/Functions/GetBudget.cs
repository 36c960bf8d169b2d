using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using VeoFunctions.Money;

namespace VeoFunctions.Functions;

/// <summary>
/// <c>GET /api/budget</c>: today's (UTC) budget, what running jobs have reserved, what ended ones spent, and what is
/// left. With no budget set, <c>budgetUsd</c> and <c>remainingUsd</c> are null and the day's spend is still shown.
/// </summary>
public sealed class GetBudget(DailyBudget budget)
{
    [Function(nameof(GetBudget))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "budget")] HttpRequest request,
        CancellationToken cancellationToken) =>
        new OkObjectResult(await budget.ReadAsync(budget.Today, cancellationToken).ConfigureAwait(false));
}
