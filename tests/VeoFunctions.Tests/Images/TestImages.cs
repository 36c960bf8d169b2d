using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace VeoFunctions.Tests.Images;

/// <summary>Builds small but structurally real images in code, so tests need no binary fixtures.</summary>
internal static class TestImages
{
    /// <summary>A real, decodable 8-bit RGB PNG (zlib IDAT, correct CRCs).</summary>
    public static byte[] Png(int width, int height)
    {
        var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0); // Filter: none.
            for (int x = 0; x < width; x++)
            {
                raw.WriteByte((byte)(x * 16));
                raw.WriteByte((byte)(y * 16));
                raw.WriteByte(0x80);
            }
        }

        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(zlib);
        }

        return PngWithChunks(width, height, compressed.ToArray());
    }

    /// <summary>A PNG whose header claims any size, with a token IDAT: what a decompression bomb looks like to a header parser.</summary>
    public static byte[] PngHeaderOnly(uint width, uint height) => PngWithChunks(width, height, [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);

    private static byte[] PngWithChunks(long width, long height, byte[] idat)
    {
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = 8; // Bit depth.
        ihdr[9] = 2; // Colour type: RGB.
        WriteChunk(png, "IHDR", ihdr);
        WriteChunk(png, "IDAT", idat);
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    public static void WriteChunk(Stream stream, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, header.AsSpan(4));
        stream.Write(header);
        stream.Write(data);
        var crcInput = header.AsSpan(4).ToArray().Concat(data).ToArray();
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(crcInput));
        stream.Write(crc);
    }

    /// <summary>A minimal baseline JPEG: SOI, APP0, DQT, SOF0, DHT, SOS, entropy data with stuffing and a restart marker, EOI.</summary>
    public static byte[] Jpeg(int width, int height, byte sofMarker = 0xC0)
    {
        var jpeg = new MemoryStream();
        jpeg.Write([0xFF, 0xD8]);
        Segment(jpeg, 0xE0, [.. "JFIF\0"u8, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
        Segment(jpeg, 0xDB, [0, .. Enumerable.Repeat((byte)1, 64)]);
        Segment(jpeg, sofMarker, [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 3, 1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0]);
        Segment(jpeg, 0xC4, [0x00, 1, .. new byte[15], 0]);
        Segment(jpeg, 0xDA, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);
        jpeg.Write([0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78, 0x9A, 0xFF, 0xFF, 0x00, 0x11]);
        jpeg.Write([0xFF, 0xD9]);
        return jpeg.ToArray();
    }

    private static void Segment(Stream stream, byte marker, byte[] payload)
    {
        stream.Write([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
        stream.Write(payload);
    }

    /// <summary>A lossless WebP header (VP8L) with the given dimensions.</summary>
    public static byte[] WebPLossless(int width, int height)
    {
        uint bits = (uint)(width - 1) | ((uint)(height - 1) << 14) | (1u << 28);
        var payload = new byte[] { 0x2F, 0, 0, 0, 0, 0x00, 0x00, 0x00 };
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(1), bits);
        return Riff(("VP8L", payload));
    }

    /// <summary>A lossy WebP header (VP8 key frame) with the given dimensions.</summary>
    public static byte[] WebPLossy(int width, int height)
    {
        var payload = new byte[] { 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0, 0, 0, 0, 0x01, 0x02 };
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(6), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(8), (ushort)height);
        return Riff(("VP8 ", payload));
    }

    /// <summary>An extended WebP (VP8X canvas header, then a VP8L bitstream), optionally flagged as animated.</summary>
    public static byte[] WebPExtended(int width, int height, bool animated = false)
    {
        var vp8x = new byte[10];
        vp8x[0] = (byte)(animated ? 0x02 : 0x10);
        int w = width - 1;
        int h = height - 1;
        vp8x[4] = (byte)w;
        vp8x[5] = (byte)(w >> 8);
        vp8x[6] = (byte)(w >> 16);
        vp8x[7] = (byte)h;
        vp8x[8] = (byte)(h >> 8);
        vp8x[9] = (byte)(h >> 16);
        var inner = WebPLossless(1, 1)[12..]; // The VP8L chunk of a 1×1 image.
        return Riff(("VP8X", vp8x), ("ALPH", [0, 1, 2]), ("raw", inner));
    }

    private static byte[] Riff(params (string FourCc, byte[] Payload)[] chunks)
    {
        var body = new MemoryStream();
        body.Write("WEBP"u8);
        foreach (var (fourCc, payload) in chunks)
        {
            if (fourCc == "raw")
            {
                body.Write(payload);
                continue;
            }

            body.Write(Encoding.ASCII.GetBytes(fourCc));
            var size = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)payload.Length);
            body.Write(size);
            body.Write(payload);
            if (payload.Length % 2 == 1)
            {
                body.WriteByte(0);
            }
        }

        var riff = new MemoryStream();
        riff.Write("RIFF"u8);
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)body.Length);
        riff.Write(length);
        body.Position = 0;
        body.CopyTo(riff);
        return riff.ToArray();
    }

    /// <summary>CRC-32 as PNG uses it (bitwise, slow, obviously correct).</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }
}
