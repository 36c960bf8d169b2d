using System.Buffers.Binary;

namespace FalEmulator;

/// <summary>
/// Read-only, seekable stream of the sample MP4 followed by a top-level <c>free</c> box of a given total size,
/// generated on the fly (the padding is never held in memory).
/// </summary>
internal sealed class PaddedMp4Stream : Stream
{
    private readonly byte[] _sample;
    private readonly byte[] _header;
    private readonly long _length;
    private long _position;

    public PaddedMp4Stream(byte[] sample, long paddingBytes)
    {
        _sample = sample;
        var padding = NormalizePadding(paddingBytes);
        _header = BuildFreeBoxHeader(padding);
        _length = sample.Length + padding;
    }

    /// <summary>0 stays 0; anything else is at least the 8-byte box header.</summary>
    public static long NormalizePadding(long paddingBytes) => paddingBytes <= 0 ? 0 : Math.Max(8, paddingBytes);

    private static byte[] BuildFreeBoxHeader(long size)
    {
        if (size == 0)
        {
            return [];
        }

        if (size <= uint.MaxValue)
        {
            var header = new byte[8];
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)size);
            "free"u8.CopyTo(header.AsSpan(4));
            return header;
        }

        var large = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(large, 1);
        "free"u8.CopyTo(large.AsSpan(4));
        BinaryPrimitives.WriteUInt64BigEndian(large.AsSpan(8), (ulong)size);
        return large;
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, _length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var total = 0;
        while (buffer.Length > 0 && _position < _length)
        {
            int n;
            if (_position < _sample.Length)
            {
                var source = _sample.AsSpan((int)_position);
                n = Math.Min(source.Length, buffer.Length);
                source[..n].CopyTo(buffer);
            }
            else if (_position < _sample.Length + _header.Length)
            {
                var source = _header.AsSpan((int)(_position - _sample.Length));
                n = Math.Min(source.Length, buffer.Length);
                source[..n].CopyTo(buffer);
            }
            else
            {
                n = (int)Math.Min(_length - _position, buffer.Length);
                buffer[..n].Clear();
            }

            _position += n;
            total += n;
            buffer = buffer[n..];
        }

        return total;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _length + offset,
        };
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
