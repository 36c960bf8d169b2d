using System.Text;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using VeoFunctions.Functions;
using VeoFunctions.Studio;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Functions;

/// <summary>The Studio's files: served by name from a fixed list, each with the page's policy; nothing else is.</summary>
public sealed class GetStudioTests
{
    private static readonly GetStudio Door = new(new StudioFiles(new BlobServiceClient(new Uri("https://veoarchive.blob.core.windows.net/"))));

    [Theory]
    [InlineData("index.html", "text/html; charset=utf-8", "<!doctype html>")]
    [InlineData("studio.js", "text/javascript; charset=utf-8", "x-functions-key")]
    [InlineData("studio.css", "text/css; charset=utf-8", "prefers-reduced-motion")]
    public async Task EachFile_IsServed_WithItsType_AndThePagesPolicy_WhichLetsVideosComeOnlyFromTheBlobHost(string file, string type, string content)
    {
        var response = await ExecuteAsync(Door.Run(TestRequests.Get("/api/studio/" + file), file));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(type, response.ContentType);
        Assert.Contains(content, Encoding.UTF8.GetString(((MemoryStream)response.Body).ToArray()), StringComparison.Ordinal);
        string policy = response.Headers.ContentSecurityPolicy.ToString();
        Assert.Contains("script-src 'self';", policy, StringComparison.Ordinal);
        Assert.Contains("media-src 'self' https://veoarchive.blob.core.windows.net;", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.XContentTypeOptions.ToString());
        Assert.Equal("no-referrer", response.Headers["Referrer-Policy"].ToString());
    }

    [Theory]
    [InlineData("../host.json")]
    [InlineData("Studio.wwwroot.index.html")]
    [InlineData("INDEX.HTML")]
    [InlineData("")]
    public void AnyOtherName_IsA404Problem(string file)
    {
        var result = Assert.IsType<ObjectResult>(Door.Run(TestRequests.Get("/api/studio/x"), file));

        Assert.Equal(404, result.StatusCode);
        Assert.IsType<ProblemDetails>(result.Value);
    }

    private static async Task<HttpResponse> ExecuteAsync(IActionResult result)
    {
        var http = new DefaultHttpContext();
        http.Response.Body = new MemoryStream();
        await result.ExecuteResultAsync(new ActionContext(http, new RouteData(), new Microsoft.AspNetCore.Mvc.Abstractions.ActionDescriptor()));
        return http.Response;
    }
}
