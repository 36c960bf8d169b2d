using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using VeoFunctions.Http;
using VeoFunctions.Studio;

namespace VeoFunctions.Functions;

/// <summary>
/// <c>GET /api/studio/{file}</c>: the Studio web page (<c>index.html</c> and its script and style), files built into the
/// app. Anonymous, like the OpenAPI document: the files hold no secret, and the page asks for the function key and
/// sends it only to the API. Each answer carries the page's Content-Security-Policy (<see cref="StudioFiles"/>).
/// </summary>
public sealed class GetStudio(StudioFiles files)
{
    [Function(nameof(GetStudio))]
    public IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "studio/{file}")] HttpRequest request, string file)
    {
        ArgumentNullException.ThrowIfNull(request);
        return files.Find(file) is { } found
            ? new StudioFileResult(found, files.ContentSecurityPolicy)
            : Problems.NotFound("The Studio has no such file: open /api/studio/index.html.");
    }
}
