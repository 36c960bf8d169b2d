namespace VeoFunctions.Tests.Support;

/// <summary>
/// A request body that gives some bytes and then fails as a cut connection or Kestrel's own limits make it fail
/// (null: it never fails; subclasses read as they like).
/// </summary>
internal class FailingBody(int bytes, Exception? failure) : Stream
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
            throw failure!;
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
