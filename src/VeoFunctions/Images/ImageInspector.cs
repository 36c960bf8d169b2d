using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;

namespace VeoFunctions.Images;

/// <summary>
/// Decides, from bytes alone and without decoding pixels, whether something is a PNG, JPEG or WebP
/// image that fal and Google will accept. Pure and allocation-light so it can run on every upload.
/// </summary>
/// <remarks>
/// <para>The format is detected from magic bytes and then confirmed by walking the container structure
/// (PNG chunks, JPEG markers, RIFF chunks) to read the real dimensions and to prove the file is complete:
/// a truncated upload is refused here rather than failing minutes later inside a paid generation.</para>
/// <para>Data after a structurally complete image (after PNG <c>IEND</c>, JPEG end-of-image or the RIFF
/// payload) is tolerated, because phones routinely append it (Motion Photos, Samsung trailers) and
/// decoders ignore it; the whole file still counts against the byte limit.</para>
/// <para>Never throws on arbitrary input: every offset is bounds-checked and every length is treated as
/// hostile.</para>
/// </remarks>
public static class ImageInspector
{
    private const string Accepted = "PNG, JPEG or WebP image";

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Inspects <paramref name="data"/> against the limits in <paramref name="limits"/>.</summary>
    /// <param name="data">The complete file.</param>
    /// <param name="limits">Byte, pixel and dimension limits.</param>
    /// <returns>The accepted image or a one-sentence reason.</returns>
    public static ImageInspectionResult Inspect(ReadOnlySpan<byte> data, ImageOptions limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return Inspect(data, limits.MaxImageBytes, limits.MaxPixels, limits.MaxDimension);
    }

    /// <summary>Inspects <paramref name="data"/> against explicit limits.</summary>
    /// <param name="data">The complete file.</param>
    /// <param name="maxBytes">Largest accepted file size.</param>
    /// <param name="maxPixels">Largest accepted width × height.</param>
    /// <param name="maxDimension">Largest accepted width or height.</param>
    /// <returns>The accepted image or a one-sentence reason.</returns>
    public static ImageInspectionResult Inspect(ReadOnlySpan<byte> data, long maxBytes, long maxPixels, int maxDimension)
    {
        if (data.IsEmpty)
        {
            return ImageInspectionResult.Rejected("The file is empty.");
        }

        if (data.Length > maxBytes)
        {
            return ImageInspectionResult.Rejected(Invariant(
                $"The image is {FormatSize(data.Length)}; at most {FormatSize(maxBytes)} are accepted."));
        }

        ImageFormat format;
        string? error;
        int width;
        int height;
        if (data.StartsWith(PngSignature))
        {
            format = ImageFormat.Png;
            error = ParsePng(data, out width, out height);
        }
        else if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            format = ImageFormat.Jpeg;
            error = ParseJpeg(data, out width, out height);
        }
        else if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            format = ImageFormat.WebP;
            error = ParseWebP(data, out width, out height);
        }
        else
        {
            return ImageInspectionResult.Rejected(DescribeImpostor(data));
        }

        if (error is not null)
        {
            return ImageInspectionResult.Rejected(error);
        }

        if (width <= 0 || height <= 0)
        {
            return ImageInspectionResult.Rejected(Invariant($"The {Name(format)} declares a width or height of zero."));
        }

        if ((long)width * height > maxPixels)
        {
            return ImageInspectionResult.Rejected(Invariant(
                $"The image is {width}×{height} pixels; at most {FormatMegapixels(maxPixels)} megapixels are accepted."));
        }

        if (width > maxDimension || height > maxDimension)
        {
            return ImageInspectionResult.Rejected(Invariant(
                $"The image is {width}×{height} pixels; neither side may exceed {maxDimension} pixels."));
        }

        return ImageInspectionResult.Accepted(new InspectedImage(format, width, height));
    }

    private static string Name(ImageFormat format) => format switch
    {
        ImageFormat.Png => "PNG",
        ImageFormat.Jpeg => "JPEG",
        _ => "WebP",
    };

    // ---- PNG -------------------------------------------------------------------------------------

    private static string? ParsePng(ReadOnlySpan<byte> data, out int width, out int height)
    {
        width = 0;
        height = 0;

        // Signature (8) + IHDR chunk: length (4), type (4), data (13), CRC (4).
        if (data.Length < 33)
        {
            return "The PNG is truncated (its header is incomplete).";
        }

        uint ihdrLength = BinaryPrimitives.ReadUInt32BigEndian(data[8..]);
        if (ihdrLength != 13 || !data.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            return "The PNG is malformed (its first chunk is not a valid IHDR header).";
        }

        if (Crc32.HashToUInt32(data.Slice(12, 17)) != BinaryPrimitives.ReadUInt32BigEndian(data[29..]))
        {
            return "The PNG is corrupt (its header checksum does not match).";
        }

        uint w = BinaryPrimitives.ReadUInt32BigEndian(data[16..]);
        uint h = BinaryPrimitives.ReadUInt32BigEndian(data[20..]);
        if (w > int.MaxValue || h > int.MaxValue)
        {
            return "The PNG declares impossible dimensions.";
        }

        byte bitDepth = data[24];
        byte colorType = data[25];
        bool validDepth = colorType switch
        {
            0 => bitDepth is 1 or 2 or 4 or 8 or 16,
            3 => bitDepth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => bitDepth is 8 or 16,
            _ => false,
        };
        if (!validDepth || data[26] != 0 || data[27] != 0 || data[28] > 1)
        {
            return "The PNG header is invalid (unknown colour type, bit depth, compression or interlace method).";
        }

        int pos = 33;
        bool sawData = false;
        while (true)
        {
            if (data.Length - pos < 12)
            {
                return "The PNG is truncated (no IEND chunk).";
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            var type = data.Slice(pos + 4, 4);
            if (length > int.MaxValue || !IsChunkType(type))
            {
                return "The PNG is malformed (it contains an invalid chunk).";
            }

            if ((long)data.Length - pos - 12 < length)
            {
                return "The PNG is truncated (a chunk runs past the end of the file).";
            }

            int chunkLength = (int)length;

            // Critical chunks (upper-case first letter) are checked: decoders abort on their corruption.
            if ((type[0] & 0x20) == 0
                && Crc32.HashToUInt32(data.Slice(pos + 4, 4 + chunkLength)) != BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + chunkLength)..]))
            {
                return "The PNG is corrupt (a chunk checksum does not match).";
            }

            if (type.SequenceEqual("IHDR"u8))
            {
                return "The PNG is malformed (it has more than one IHDR header).";
            }

            if (type.SequenceEqual("IDAT"u8))
            {
                sawData = true;
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                break;
            }

            pos += 12 + chunkLength;
        }

        if (!sawData)
        {
            return "The PNG contains no image data (no IDAT chunk).";
        }

        width = (int)w;
        height = (int)h;
        return null;
    }

    private static bool IsChunkType(ReadOnlySpan<byte> type)
    {
        foreach (byte b in type)
        {
            if (!char.IsAsciiLetter((char)b))
            {
                return false;
            }
        }

        return true;
    }

    // ---- JPEG ------------------------------------------------------------------------------------

    private static string? ParseJpeg(ReadOnlySpan<byte> data, out int width, out int height)
    {
        const string Truncated = "The JPEG is truncated (no end-of-image marker).";
        width = 0;
        height = 0;
        bool sawFrame = false;
        bool sawScan = false;
        int pos = 2;

        while (true)
        {
            if (pos >= data.Length)
            {
                return Truncated;
            }

            if (data[pos] != 0xFF)
            {
                return "The JPEG is malformed (a marker was expected but not found).";
            }

            while (pos < data.Length && data[pos] == 0xFF)
            {
                pos++; // Fill bytes.
            }

            if (pos >= data.Length)
            {
                return Truncated;
            }

            byte marker = data[pos++];
            if (marker == 0xD9)
            {
                if (!sawFrame)
                {
                    return "The JPEG is malformed (it has no frame header).";
                }

                return sawScan ? null : "The JPEG contains no image data (no scan).";
            }

            if (marker is 0x00 or 0xD8)
            {
                return "The JPEG is malformed (it contains an invalid marker).";
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                continue; // Standalone markers carry no length.
            }

            if (data.Length - pos < 2)
            {
                return Truncated;
            }

            int segmentLength = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            if (segmentLength < 2)
            {
                return "The JPEG is malformed (a segment has an invalid length).";
            }

            if (data.Length - pos < segmentLength)
            {
                return Truncated;
            }

            var segment = data.Slice(pos + 2, segmentLength - 2);
            pos += segmentLength;

            if (IsStartOfFrame(marker))
            {
                if (sawFrame)
                {
                    continue; // Only the first frame header describes the image.
                }

                if (segment.Length < 6 || segment[5] == 0 || segment.Length < 6 + (3 * segment[5]))
                {
                    return "The JPEG is malformed (its frame header is incomplete).";
                }

                height = BinaryPrimitives.ReadUInt16BigEndian(segment[1..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(segment[3..]);
                sawFrame = true;
            }
            else if (marker == 0xDA)
            {
                if (!sawFrame)
                {
                    return "The JPEG is malformed (image data comes before the frame header).";
                }

                sawScan = true;

                // Skip entropy-coded data: 0xFF is always followed by 0x00 (stuffing) or a restart
                // marker inside a scan, so the first other marker ends it.
                while (true)
                {
                    int index = data[pos..].IndexOf((byte)0xFF);
                    if (index < 0)
                    {
                        return Truncated;
                    }

                    int ff = pos + index;
                    if (ff + 1 >= data.Length)
                    {
                        return Truncated;
                    }

                    byte next = data[ff + 1];
                    if (next is 0x00 or (>= 0xD0 and <= 0xD7))
                    {
                        pos = ff + 2;
                    }
                    else if (next == 0xFF)
                    {
                        pos = ff + 1;
                    }
                    else
                    {
                        pos = ff;
                        break;
                    }
                }
            }
        }
    }

    private static bool IsStartOfFrame(byte marker) =>
        marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;

    // ---- WebP ------------------------------------------------------------------------------------

    private static string? ParseWebP(ReadOnlySpan<byte> data, out int width, out int height)
    {
        width = 0;
        height = 0;
        uint riffSize = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (riffSize < 4 + 8)
        {
            return "The WebP is malformed (its RIFF header declares an impossible size).";
        }

        if (riffSize > (uint)(data.Length - 8))
        {
            return "The WebP is truncated (the file is shorter than its RIFF header declares).";
        }

        var chunks = data.Slice(12, (int)riffSize - 4);
        int pos = 0;
        bool first = true;
        bool extended = false;
        while (chunks.Length - pos >= 8)
        {
            var fourCc = chunks.Slice(pos, 4);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(chunks[(pos + 4)..]);
            if (size > (uint)(chunks.Length - pos - 8))
            {
                return "The WebP is truncated (a chunk runs past the end of the file).";
            }

            var payload = chunks.Slice(pos + 8, (int)size);
            bool isLossy = fourCc.SequenceEqual("VP8 "u8);
            bool isLossless = fourCc.SequenceEqual("VP8L"u8);

            if (first)
            {
                first = false;
                if (fourCc.SequenceEqual("VP8X"u8))
                {
                    if (payload.Length < 10)
                    {
                        return "The WebP is malformed (its extended header is incomplete).";
                    }

                    if ((payload[0] & 0x02) != 0)
                    {
                        return "The WebP is animated; only still images are accepted.";
                    }

                    width = 1 + (payload[4] | (payload[5] << 8) | (payload[6] << 16));
                    height = 1 + (payload[7] | (payload[8] << 8) | (payload[9] << 16));
                    extended = true;
                }
                else if (!isLossy && !isLossless)
                {
                    return "The WebP is malformed (its first chunk is not VP8, VP8L or VP8X).";
                }
            }
            else if (fourCc.SequenceEqual("ANIM"u8) || fourCc.SequenceEqual("ANMF"u8))
            {
                return "The WebP is animated; only still images are accepted.";
            }

            if (isLossy || isLossless)
            {
                string? error = isLossy
                    ? ParseVp8(payload, out int w, out int h)
                    : ParseVp8L(payload, out w, out h);
                if (error is not null)
                {
                    return error;
                }

                if (!extended)
                {
                    width = w;
                    height = h;
                }

                return null;
            }

            // Chunks are padded to an even size; a missing final pad byte is tolerated.
            pos += 8 + (int)size + (int)(size & 1);
        }

        return extended
            ? "The WebP contains no image data."
            : "The WebP is truncated (its image chunk is missing).";
    }

    private static string? ParseVp8(ReadOnlySpan<byte> payload, out int width, out int height)
    {
        width = 0;
        height = 0;
        if (payload.Length < 10)
        {
            return "The WebP is truncated (its VP8 header is incomplete).";
        }

        if ((payload[0] & 0x01) != 0 || payload[3] != 0x9D || payload[4] != 0x01 || payload[5] != 0x2A)
        {
            return "The WebP is malformed (its VP8 header is invalid).";
        }

        width = BinaryPrimitives.ReadUInt16LittleEndian(payload[6..]) & 0x3FFF;
        height = BinaryPrimitives.ReadUInt16LittleEndian(payload[8..]) & 0x3FFF;
        return null;
    }

    private static string? ParseVp8L(ReadOnlySpan<byte> payload, out int width, out int height)
    {
        width = 0;
        height = 0;
        if (payload.Length < 5)
        {
            return "The WebP is truncated (its VP8L header is incomplete).";
        }

        uint bits = BinaryPrimitives.ReadUInt32LittleEndian(payload[1..]);
        if (payload[0] != 0x2F || (bits >> 29) != 0)
        {
            return "The WebP is malformed (its VP8L header is invalid).";
        }

        width = (int)(bits & 0x3FFF) + 1;
        height = (int)((bits >> 14) & 0x3FFF) + 1;
        return null;
    }

    // ---- Impostors -------------------------------------------------------------------------------

    private static string DescribeImpostor(ReadOnlySpan<byte> data)
    {
        string? kind = IdentifyBinary(data) ?? IdentifyText(data);
        return kind is null
            ? $"The file is not a {Accepted}."
            : $"The file is {kind}, not a {Accepted}.";
    }

    private static string? IdentifyBinary(ReadOnlySpan<byte> data)
    {
        if (HasPrefix(data, [0x50, 0x4B, 0x03, 0x04]) || HasPrefix(data, [0x50, 0x4B, 0x05, 0x06]) || HasPrefix(data, [0x50, 0x4B, 0x07, 0x08]))
        {
            return "a ZIP archive";
        }

        if (data.StartsWith("%PDF"u8))
        {
            return "a PDF document";
        }

        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
        {
            return "a GIF image";
        }

        if (HasPrefix(data, [0x49, 0x49, 0x2A, 0x00]) || HasPrefix(data, [0x4D, 0x4D, 0x00, 0x2A]))
        {
            return "a TIFF image";
        }

        if (data.Length >= 12 && data.Slice(4, 4).SequenceEqual("ftyp"u8))
        {
            var brand = data.Slice(8, 4);
            if (brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8))
            {
                return "an AVIF image";
            }

            if (brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("mif1"u8)
                || brand.SequenceEqual("msf1"u8) || brand.SequenceEqual("hevc"u8) || brand.SequenceEqual("heim"u8))
            {
                return "a HEIC image";
            }

            return "a video (MP4 or QuickTime)";
        }

        if (data.StartsWith("RIFF"u8))
        {
            return "a RIFF audio or video file";
        }

        if (data.StartsWith("BM"u8) && data.Length >= 14)
        {
            return "a BMP image";
        }

        if (HasPrefix(data, [0x00, 0x00, 0x01, 0x00]))
        {
            return "an icon (ICO) file";
        }

        if (HasPrefix(data, [0x1F, 0x8B]))
        {
            return "a gzip-compressed file";
        }

        if (HasPrefix(data, [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) || data.StartsWith("Rar!"u8))
        {
            return "a compressed archive";
        }

        if (data.StartsWith("MZ"u8) || HasPrefix(data, [0x7F, 0x45, 0x4C, 0x46]))
        {
            return "an executable program";
        }

        if (data.StartsWith("8BPS"u8))
        {
            return "a Photoshop document";
        }

        if (HasPrefix(data, [0xFF, 0x0A]) || HasPrefix(data, [0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x4C, 0x20]))
        {
            return "a JPEG XL image";
        }

        return null;
    }

    private static bool HasPrefix(ReadOnlySpan<byte> data, ReadOnlySpan<byte> prefix) => data.StartsWith(prefix);

    private static string? IdentifyText(ReadOnlySpan<byte> data)
    {
        var sample = data[..Math.Min(data.Length, 1024)];
        if (HasPrefix(sample, [0xEF, 0xBB, 0xBF]))
        {
            sample = sample[3..];
        }

        foreach (byte b in sample)
        {
            // Control characters other than tab, CR, LF and form feed mean binary.
            if (b < 0x20 && b is not (0x09 or 0x0A or 0x0D or 0x0C))
            {
                return null;
            }
        }

        var trimmed = sample.TrimStart(" \t\r\n\f"u8);
        if (trimmed.IsEmpty)
        {
            return "a blank text file";
        }

        if (ContainsIgnoreCase(sample, "<html"u8) || ContainsIgnoreCase(sample, "<!doctype html"u8)
            || ContainsIgnoreCase(sample, "<head"u8) || ContainsIgnoreCase(sample, "<body"u8))
        {
            return "an HTML page";
        }

        if (ContainsIgnoreCase(sample, "<svg"u8))
        {
            return "an SVG image";
        }

        if (trimmed[0] == (byte)'<')
        {
            return "an XML or HTML document";
        }

        if (trimmed[0] is (byte)'{' or (byte)'[')
        {
            return "a JSON document";
        }

        return "a text file";
    }

    private static bool ContainsIgnoreCase(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> lowerNeedle)
    {
        for (int i = 0; i + lowerNeedle.Length <= haystack.Length; i++)
        {
            bool match = true;
            for (int j = 0; j < lowerNeedle.Length; j++)
            {
                byte b = haystack[i + j];
                if (b is >= (byte)'A' and <= (byte)'Z')
                {
                    b = (byte)(b | 0x20);
                }

                if (b != lowerNeedle[j])
                {
                    match = false;
                    break;
                }
            }

            if (match)
            {
                return true;
            }
        }

        return false;
    }

    // ---- Formatting ------------------------------------------------------------------------------

    /// <summary>Formats a byte count for a user-facing message (binary megabytes, as fal counts).</summary>
    internal static string FormatSize(long bytes)
    {
        const double Mb = 1024 * 1024;
        if (bytes >= 1024 * 1024)
        {
            return (bytes / Mb).ToString("0.#", CultureInfo.InvariantCulture) + " MB";
        }

        return bytes >= 1024
            ? (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB"
            : bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
    }

    private static string FormatMegapixels(long pixels) =>
        (pixels / 1_000_000.0).ToString("0.##", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
