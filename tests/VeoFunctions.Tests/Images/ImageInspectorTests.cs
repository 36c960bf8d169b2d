using System.Text;
using VeoFunctions.Images;

namespace VeoFunctions.Tests.Images;

public sealed class ImageInspectorTests
{
    private static readonly ImageOptions Limits = new();

    private static ImageInspectionResult Inspect(byte[] data) => ImageInspector.Inspect(data, Limits);

    private static string Rejection(byte[] data)
    {
        var result = Inspect(data);
        Assert.False(result.IsAccepted, $"Expected a rejection but got {result}.");
        return result.RejectionReason;
    }

    [Fact]
    public void Inspect_ReadsPngDimensions()
    {
        var result = Inspect(TestImages.Png(7, 5));

        Assert.True(result.IsAccepted, result.ToString());
        Assert.Equal(new InspectedImage(ImageFormat.Png, 7, 5), result.Image);
        Assert.Equal("image/png", result.Image.ContentType);
        Assert.Equal(".png", result.Image.FileExtension);
    }

    [Fact]
    public void Inspect_ReadsJpegDimensions()
    {
        var result = Inspect(TestImages.Jpeg(640, 480));

        Assert.True(result.IsAccepted, result.ToString());
        Assert.Equal(new InspectedImage(ImageFormat.Jpeg, 640, 480), result.Image);
        Assert.Equal("image/jpeg", result.Image.ContentType);
        Assert.Equal(".jpg", result.Image.FileExtension);
    }

    [Fact]
    public void Inspect_ReadsProgressiveJpegDimensions()
    {
        var result = Inspect(TestImages.Jpeg(300, 200, sofMarker: 0xC2));

        Assert.True(result.IsAccepted, result.ToString());
        Assert.Equal(new InspectedImage(ImageFormat.Jpeg, 300, 200), result.Image);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1920, 1080)]
    [InlineData(16384, 2)]
    public void Inspect_ReadsLosslessWebPDimensions(int width, int height)
    {
        var result = ImageInspector.Inspect(TestImages.WebPLossless(width, height), 8 << 20, 40_000_000, 16384);

        Assert.True(result.IsAccepted, result.ToString());
        Assert.Equal(new InspectedImage(ImageFormat.WebP, width, height), result.Image);
        Assert.Equal("image/webp", result.Image.ContentType);
    }

    [Fact]
    public void Inspect_ReadsLossyWebPDimensions()
    {
        var result = Inspect(TestImages.WebPLossy(1280, 720));

        Assert.True(result.IsAccepted, result.ToString());
        Assert.Equal(new InspectedImage(ImageFormat.WebP, 1280, 720), result.Image);
    }

    [Fact]
    public void Inspect_ReadsExtendedWebPCanvasDimensions()
    {
        var result = Inspect(TestImages.WebPExtended(4000, 3000));

        Assert.True(result.IsAccepted, result.ToString());
        Assert.Equal(new InspectedImage(ImageFormat.WebP, 4000, 3000), result.Image);
    }

    [Fact]
    public void Inspect_RejectsAnimatedWebP()
    {
        Assert.Contains("animated", Rejection(TestImages.WebPExtended(100, 100, animated: true)), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_DetectsPngRenamedAsJpegByItsBytes()
    {
        // The name and the declared type say JPEG; only the bytes count.
        var result = Inspect(TestImages.Png(2, 2));

        Assert.True(result.IsAccepted);
        Assert.Equal(ImageFormat.Png, result.Image.Format);
        Assert.False(result.Image.MatchesContentType("image/jpeg"));
        Assert.True(result.Image.MatchesContentType("IMAGE/PNG; charset=binary"));
    }

    [Fact]
    public void MatchesContentType_AcceptsTheImageJpgAlias()
    {
        var image = new InspectedImage(ImageFormat.Jpeg, 1, 1);

        Assert.True(image.MatchesContentType("image/jpg"));
        Assert.False(image.MatchesContentType(null));
    }

    [Fact]
    public void Inspect_RejectsPngWithoutIend()
    {
        var png = TestImages.Png(4, 4);

        Assert.Equal("The PNG is truncated (no IEND chunk).", Rejection(png[..^12]));
    }

    [Fact]
    public void Inspect_RejectsPngCutInsideAChunk()
    {
        var png = TestImages.Png(16, 16);

        Assert.Contains("truncated", Rejection(png[..(png.Length / 2)]), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_RejectsPngWithCorruptHeaderChecksum()
    {
        var png = TestImages.Png(4, 4);
        png[17] ^= 0x01; // Width changes, CRC does not.

        Assert.Contains("checksum", Rejection(png), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_RejectsPngWithZeroWidth()
    {
        Assert.Contains("zero", Rejection(TestImages.PngHeaderOnly(0, 10)), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_ToleratesDataAfterPngEnd()
    {
        byte[] png = [.. TestImages.Png(3, 3), .. "trailing"u8];

        Assert.True(Inspect(png).IsAccepted);
    }

    [Fact]
    public void Inspect_RejectsTruncatedJpeg()
    {
        var jpeg = TestImages.Jpeg(10, 10);

        Assert.Equal("The JPEG is truncated (no end-of-image marker).", Rejection(jpeg[..^2]));
        Assert.Contains("truncated", Rejection(jpeg[..30]), StringComparison.Ordinal);
        Assert.Contains("truncated", Rejection(jpeg[..3]), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_RejectsJpegWithZeroHeight()
    {
        Assert.Contains("zero", Rejection(TestImages.Jpeg(10, 0)), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_RejectsJpegWithoutFrameHeader()
    {
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xD9];

        Assert.Contains("frame header", Rejection(jpeg), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_RejectsTruncatedWebP()
    {
        var webp = TestImages.WebPLossy(100, 100);

        Assert.Contains("truncated", Rejection(webp[..^4]), StringComparison.Ordinal);
        Assert.Contains("truncated", Rejection(webp[..14]), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_RejectsZipArchive()
    {
        byte[] zip = [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00];

        Assert.Equal("The file is a ZIP archive, not a PNG, JPEG or WebP image.", Rejection(zip));
    }

    [Fact]
    public void Inspect_RejectsPdf()
    {
        Assert.Equal("The file is a PDF document, not a PNG, JPEG or WebP image.", Rejection("%PDF-1.7\n%âãÏÓ\n"u8.ToArray()));
    }

    [Fact]
    public void Inspect_RejectsGif()
    {
        Assert.Equal("The file is a GIF image, not a PNG, JPEG or WebP image.", Rejection("GIF89a\x01\x00\x01\x00"u8.ToArray()));
    }

    [Fact]
    public void Inspect_RejectsHtmlPage()
    {
        var html = Encoding.UTF8.GetBytes("\uFEFF\n  <!DOCTYPE html><html><head><title>404</title></head><body>Not found</body></html>");

        Assert.Equal("The file is an HTML page, not a PNG, JPEG or WebP image.", Rejection(html));
    }

    [Theory]
    [InlineData("{\"error\":\"nope\"}", "a JSON document")]
    [InlineData("hello world", "a text file")]
    [InlineData("<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "an SVG image")]
    public void Inspect_NamesTextImpostors(string text, string kind)
    {
        Assert.Equal($"The file is {kind}, not a PNG, JPEG or WebP image.", Rejection(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void Inspect_NamesHeicFromPhones()
    {
        byte[] heic = [0, 0, 0, 0x18, .. "ftypheic"u8, 0, 0, 0, 0];

        Assert.Contains("HEIC", Rejection(heic), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_RejectsEmptyFile()
    {
        Assert.Equal("The file is empty.", Rejection([]));
    }

    [Fact]
    public void Inspect_RejectsUnknownBinary()
    {
        Assert.Equal("The file is not a PNG, JPEG or WebP image.", Rejection([0x00, 0x01, 0x02, 0x03, 0xFE]));
    }

    [Fact]
    public void Inspect_RejectsDecompressionBombFromItsHeader()
    {
        var bomb = TestImages.PngHeaderOnly(100_000, 100_000);

        Assert.True(bomb.Length < 100, "The bomb itself is tiny.");
        Assert.Equal("The image is 100000×100000 pixels; at most 40 megapixels are accepted.", Rejection(bomb));
    }

    [Fact]
    public void Inspect_RejectsOverlongSideEvenWithinThePixelBudget()
    {
        Assert.Equal("The image is 20000×10 pixels; neither side may exceed 8192 pixels.", Rejection(TestImages.PngHeaderOnly(20_000, 10)));
    }

    [Fact]
    public void Inspect_RejectsImpossiblePngDimensions()
    {
        Assert.Contains("impossible", Rejection(TestImages.PngHeaderOnly(0x8000_0000, 1)), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_RejectsOversizeFile()
    {
        byte[] png = [.. TestImages.Png(2, 2), .. new byte[9 * 1024 * 1024]];

        Assert.Equal("The image is 9 MB; at most 8 MB are accepted.", Rejection(png));
    }

    [Fact]
    public void Inspect_NeverThrowsOnRandomOrMutatedInput()
    {
        var random = new Random(20240601);
        byte[][] seeds =
        [
            TestImages.Png(5, 4),
            TestImages.Jpeg(33, 17),
            TestImages.Jpeg(33, 17, sofMarker: 0xC2),
            TestImages.WebPLossy(9, 9),
            TestImages.WebPLossless(9, 9),
            TestImages.WebPExtended(9, 9),
        ];

        int cases = 0;
        for (int i = 0; i < 1000; i++)
        {
            var buffer = new byte[random.Next(0, 200)];
            random.NextBytes(buffer);
            AssertNoThrow(buffer);
            cases++;
        }

        foreach (var seed in seeds)
        {
            for (int i = 0; i < 500; i++)
            {
                AssertNoThrow(Mutate(seed, random));
                cases++;
            }

            for (int length = 0; length <= seed.Length; length++)
            {
                AssertNoThrow(seed[..length]);
                cases++;
            }
        }

        Assert.True(cases >= 2000);
    }

    private static void AssertNoThrow(byte[] buffer)
    {
        var exception = Record.Exception(() => ImageInspector.Inspect(buffer, Limits));
        Assert.True(exception is null, $"Threw on {Convert.ToHexString(buffer)}: {exception}");
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var data = seed.ToList();
        int edits = random.Next(1, 6);
        for (int e = 0; e < edits && data.Count > 0; e++)
        {
            int at = random.Next(data.Count);
            switch (random.Next(5))
            {
                case 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    data[at] = (byte)random.Next(256);
                    break;
                case 2:
                    data.RemoveRange(at, Math.Min(random.Next(1, 8), data.Count - at));
                    break;
                case 3:
                    data.Insert(at, (byte)random.Next(256));
                    break;
                default:
                    data[at] = random.Next(2) == 0 ? (byte)0xFF : (byte)0x00;
                    break;
            }
        }

        return [.. data];
    }
}
