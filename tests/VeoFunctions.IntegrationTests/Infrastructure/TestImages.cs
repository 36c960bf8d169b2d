using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>Real, decodable images made in code.</summary>
public static class TestImages
{
    /// <summary>A valid RGB PNG of the given size (a flat colour).</summary>
    public static byte[] Png(int width = 16, int height = 16) => Rgb(width, height, CompressionLevel.Fastest, row =>
    {
        for (int x = 0; x < width; x++)
        {
            row[1 + (x * 3)] = 200;
            row[2 + (x * 3)] = 80;
            row[3 + (x * 3)] = 40;
        }
    });

    /// <summary>
    /// A valid RGB PNG of random pixels, stored uncompressed: about <c>width × height × 3</c> bytes, for tests that
    /// need big images (a flat colour compresses to almost nothing).
    /// </summary>
    public static byte[] NoisyPng(int width, int height, int seed)
    {
        var random = new Random(seed);
        return Rgb(width, height, CompressionLevel.NoCompression, row => random.NextBytes(row.AsSpan(1)));
    }

    public static string DataUri(byte[] bytes, string mediaType = "image/png") => $"data:{mediaType};base64,{Convert.ToBase64String(bytes)}";

    // Each row is a filter byte (0: none) and width RGB pixels, filled anew for every row.
    private static byte[] Rgb(int width, int height, CompressionLevel compression, Action<byte[]> fillRow)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // truecolour
        Chunk(png, "IHDR", ihdr);

        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, compression, leaveOpen: true))
        {
            var row = new byte[1 + (width * 3)];
            for (int y = 0; y < height; y++)
            {
                fillRow(row);
                z.Write(row);
            }
        }

        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typeAndData);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.HashToUInt32(typeAndData));
        png.Write(crc);
    }
}
