using Microsoft.AspNetCore.Http;
using VeoFunctions.Http;

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
        var body = new ThrowingAfter(4096, new BadHttpRequestException("Request body too large. The max request body size is 30000000 bytes.", StatusCodes.Status413PayloadTooLarge));

        var read = await RequestBody.ReadAsync(Request(body), limit: 1024 * 1024, CancellationToken.None);

        Assert.Null(read);
        Assert.True(body.Threw);
    }

    [Fact]
    public async Task OtherBadRequestsFromTheServer_AreNotMistakenForTooLarge()
    {
        var body = new ThrowingAfter(16, new BadHttpRequestException("Bad chunk size data.", StatusCodes.Status400BadRequest));

        var ex = await Assert.ThrowsAsync<BadHttpRequestException>(() => RequestBody.ReadAsync(Request(body), limit: 1024, CancellationToken.None));

        Assert.Equal(400, ex.StatusCode);
    }

    [Fact]
    public async Task ABodyWithinTheLimit_IsReadWhole()
    {
        byte[] bytes = [.. Enumerable.Range(0, 200_000).Select(i => (byte)i)];

        var read = await RequestBody.ReadAsync(Request(new MemoryStream(bytes)), limit: bytes.Length, CancellationToken.None);

        Assert.Equal(bytes, read);
    }

    /// <summary>A body that delivers some bytes and then fails as Kestrel's does at its cap.</summary>
    private sealed class ThrowingAfter(int bytes, Exception failure) : Stream
    {
        private int _left = bytes;

        public bool Threw { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left == 0)
            {
                Threw = true;
                throw failure;
            }

            int n = Math.Min(_left, buffer.Length);
            buffer.Span[..n].Fill(0x20);
            _left -= n;
            return ValueTask.FromResult(n);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
