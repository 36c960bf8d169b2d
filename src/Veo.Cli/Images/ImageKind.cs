namespace Veo.Cli.Images;

/// <summary>The image formats the app accepts, told apart by their first bytes.</summary>
public sealed record ImageKind(string Name, string MediaType)
{
    public static readonly ImageKind Png = new("PNG", "image/png");
    public static readonly ImageKind Jpeg = new("JPEG", "image/jpeg");
    public static readonly ImageKind WebP = new("WebP", "image/webp");

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The format <paramref name="head"/> (a file's first 12 bytes or more) says, or null for any other.</summary>
    public static ImageKind? Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith(PngSignature))
        {
            return Png;
        }

        if (head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
        {
            return Jpeg;
        }

        return head.Length >= 12 && head.StartsWith("RIFF"u8) && head.Slice(8, 4).SequenceEqual("WEBP"u8) ? WebP : null;
    }
}
