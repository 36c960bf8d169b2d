using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace VeoFunctions.Tests.Support;

/// <summary>HTTP requests and results for calling function classes directly.</summary>
internal static class TestRequests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static HttpRequest Post(byte[] body, string? contentType = "application/json", bool chunked = false, string? query = null, IDictionary<string, string>? headers = null)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = "POST";
        request.Scheme = "https";
        request.Host = new HostString("app.example");
        request.Path = "/api/videos";
        request.QueryString = query is null ? QueryString.Empty : new QueryString(query);
        request.ContentType = contentType;
        request.Body = chunked ? new NonSeekableStream(body) : new MemoryStream(body);
        request.ContentLength = chunked ? null : body.Length;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers[name] = value;
        }

        return request;
    }

    public static HttpRequest Post(string body, string? contentType = "application/json", IDictionary<string, string>? headers = null) =>
        Post(Encoding.UTF8.GetBytes(body), contentType, headers: headers);

    public static HttpRequest Get(string path)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("app.example");
        context.Request.Path = path;
        return context.Request;
    }

    public static int? StatusOf(IActionResult result) => result switch
    {
        ObjectResult o => o.StatusCode,
        StatusCodeResult s => s.StatusCode,
        _ => null,
    };

    /// <summary>The body a result would write, as JSON (web defaults, as ASP.NET Core writes it).</summary>
    public static JsonElement BodyOf(IActionResult result) => result is ObjectResult { Value: { } value }
        ? JsonSerializer.SerializeToElement(value, value.GetType(), Web)
        : default;

    public static string BodyTextOf(IActionResult result) => result is ObjectResult { Value: { } value }
        ? JsonSerializer.Serialize(value, value.GetType(), Web)
        : "";

    /// <summary>A body stream that cannot tell its length, as a chunked request's is.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}
