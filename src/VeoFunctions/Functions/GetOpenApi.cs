using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using VeoFunctions.Contract;

namespace VeoFunctions.Functions;

/// <summary>
/// <c>GET /api/openapi.json</c>: the HTTP API's OpenAPI document, so a caller can generate a client. Anonymous: it holds
/// no secret (the same text is in the repository) and costs no call to fal or storage.
/// </summary>
public sealed class GetOpenApi
{
    [Function(nameof(GetOpenApi))]
    public IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request) =>
        new FileContentResult(ApiContract.OpenApiJson.ToArray(), "application/json");
}
