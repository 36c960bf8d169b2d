namespace VeoFunctions.Archive;

/// <summary>
/// A read-only pass-through that counts bytes and, when the length is known, fails at the end of a short or
/// long stream. Failing inside the read (not after) stops the upload before its block list commits.
/// </summary>
internal sealed class CountingStream(Stream inner, long? expectedLength) : Stream
{
    public long BytesRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int read)
    {
        BytesRead += read;
        if (expectedLength is { } expected && (BytesRead > expected || (read == 0 && BytesRead != expected)))
        {
            throw new IOException($"The video download delivered {BytesRead} bytes where {expected} were announced.");
        }

        return read;
    }
}
