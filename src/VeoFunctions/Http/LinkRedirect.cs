using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace VeoFunctions.Http;

/// <summary>
/// A <c>302</c> to a link that is itself a credential (a SAS download link): no cache may keep it
/// (<c>Cache-Control: no-store</c>), and unlike MVC's <see cref="RedirectResult"/>, whose executor logs the target at
/// Information, nothing here writes it anywhere but the <c>Location</c> header.
/// </summary>
public sealed class LinkRedirect(Uri target) : IActionResult
{
    public Uri Target { get; } = target;

    public Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCodes.Status302Found;
        response.Headers.Location = Target.AbsoluteUri;
        response.Headers.CacheControl = "no-store";
        return Task.CompletedTask;
    }
}
