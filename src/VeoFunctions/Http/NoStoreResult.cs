using Microsoft.AspNetCore.Mvc;

namespace VeoFunctions.Http;

/// <summary>
/// <c>200</c> with a body that carries download links (SAS URLs, bearer credentials until they expire): no cache,
/// shared or private, may keep it (<c>Cache-Control: no-store</c>).
/// </summary>
public sealed class NoStoreResult(object? value) : OkObjectResult(value)
{
    public override void OnFormatting(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        base.OnFormatting(context);
        context.HttpContext.Response.Headers.CacheControl = "no-store";
    }
}
