using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using VeoFunctions.Operations;

namespace VeoFunctions.Functions;

/// <summary>
/// <c>GET /api/health</c>: whether storage, the fal key and fal's webhook key set are reachable; 200 when all are,
/// 503 otherwise. Behind the function key: every call makes authenticated calls to fal and to storage, which an
/// anonymous endpoint would let anyone repeat at will; the answer names no secret either way.
/// </summary>
public sealed class GetHealth(HealthChecks health)
{
    [Function(nameof(GetHealth))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var report = await health.CheckAsync(cancellationToken).ConfigureAwait(false);
        return new ObjectResult(report) { StatusCode = report.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable };
    }
}
