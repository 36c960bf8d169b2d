namespace VeoFunctions.Archive;

/// <summary>
/// A read-only pass-through whose every read must deliver within the idle timeout, or fails with a
/// <see cref="TimeoutException"/>. Failing inside the read (not after) stops the upload before its block list
/// commits, so a stalled download never appears under the video's final name.
/// </summary>
internal sealed class IdleTimeoutStream(Stream inner, TimeSpan idleTimeout, TimeProvider time) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        new(Stalls.WithinAsync(token => inner.ReadAsync(buffer, token).AsTask(), idleTimeout, time, "The video download from fal", cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // A synchronous read could not be timed out; the archive only reads asynchronously.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read asynchronously.");

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
