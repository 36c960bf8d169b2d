using Microsoft.AspNetCore.Http;
using VeoFunctions.Http;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Http;

public sealed class RequestBodyTests
{
    private static HttpRequest Request(Stream body)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Body = body;
        return context.Request;
    }

    [Fact]
    public async Task KestrelsTooLargeError_IsTheSameTooLargeAnswer_NotAnException()
    {
        var body = new FailingBody(4096, new BadHttpRequestException("Request body too large. The max request body size is 30000000 bytes.", StatusCodes.Status413PayloadTooLarge));

        var read = await RequestBody.ReadAsync(Request(body), limit: 1024 * 1024, CancellationToken.None);

        Assert.Equal(BodyRead.Failed(BodyFailure.TooLarge), read);
        Assert.True(body.Threw);
    }

    [Fact]
    public async Task OtherBadRequestsFromTheServer_AreAnUnreadableBody_NotTooLarge()
    {
        var body = new FailingBody(16, new BadHttpRequestException("Bad chunk size data.", StatusCodes.Status400BadRequest));

        var read = await RequestBody.ReadAsync(Request(body), limit: 1024, CancellationToken.None);

        Assert.Equal(BodyRead.Failed(BodyFailure.Unreadable), read);
    }

    [Fact]
    public async Task KestrelsMinimumDataRate_IsATimeout()
    {
        var body = new FailingBody(16, new BadHttpRequestException("Reading the request body timed out due to data arriving too slowly.", StatusCodes.Status408RequestTimeout));

        var read = await RequestBody.ReadAsync(Request(body), limit: 1024, CancellationToken.None);

        Assert.Equal(BodyRead.Failed(BodyFailure.TimedOut), read);
    }

    [Fact]
    public async Task ABodyWithinTheLimit_IsReadWhole()
    {
        byte[] bytes = [.. Enumerable.Range(0, 200_000).Select(i => (byte)i)];

        var read = await RequestBody.ReadAsync(Request(new MemoryStream(bytes)), limit: bytes.Length, CancellationToken.None);

        Assert.Equal(bytes, read.Bytes);
    }
}
