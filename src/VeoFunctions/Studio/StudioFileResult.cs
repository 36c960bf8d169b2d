using Microsoft.AspNetCore.Mvc;

namespace VeoFunctions.Studio;

/// <summary>
/// A Studio file with the headers that keep the page to itself: its CSP, no MIME sniffing, no referrer (a page URL
/// never travels to the blob host), and <c>no-cache</c> so a deploy's new page is picked up at once.
/// </summary>
public sealed class StudioFileResult(StudioFile file, string contentSecurityPolicy) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.HttpContext.Response;
        response.StatusCode = 200;
        response.ContentType = file.ContentType;
        response.ContentLength = file.Bytes.Length;
        response.Headers.ContentSecurityPolicy = contentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-cache";
        await response.Body.WriteAsync(file.Bytes, context.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
