using VeoFunctions.Images;

namespace VeoFunctions.Tests.Images;

public sealed class DataUriTests
{
    private const long Max = 8 * 1024 * 1024;

    [Fact]
    public void TryParse_DecodesBase64Images()
    {
        var png = TestImages.Png(3, 2);
        string uri = "data:image/png;base64," + Convert.ToBase64String(png);

        Assert.True(DataUri.TryParse(uri, Max, out var mediaType, out var bytes, out var error), error);
        Assert.Equal("image/png", mediaType);
        Assert.Equal(png, bytes);
    }

    [Fact]
    public void TryParse_ReturnsTheDeclaredTypeSoMismatchesCanBeSpotted()
    {
        var png = TestImages.Png(1, 1);
        string uri = "DATA:Image/JPEG;name=x.jpg;base64," + Convert.ToBase64String(png);

        Assert.True(DataUri.TryParse(uri, Max, out var mediaType, out var bytes, out _));
        Assert.Equal("image/jpeg", mediaType);
        var inspected = ImageInspector.Inspect(bytes, new ImageOptions());
        Assert.True(inspected.IsAccepted);
        Assert.False(inspected.Image.MatchesContentType(mediaType));
    }

    [Fact]
    public void TryParse_DefaultsTheMediaTypeToTextPlain()
    {
        Assert.True(DataUri.TryParse("data:;base64,AAAA", Max, out var mediaType, out _, out _));
        Assert.Equal("text/plain", mediaType);
    }

    [Theory]
    [InlineData("data:image/png,rawdata")]
    [InlineData("data:image/png;base64")]
    [InlineData("data:image/png;base64,")]
    [InlineData("data:image/png;base64,AAA")]
    [InlineData("data:image/png;base64,AA AA")]
    [InlineData("data:image/png;base64,AA\nAA")]
    [InlineData("data:image/png;base64,AA-_")]
    [InlineData("data:image/png;base64,A=AA")]
    [InlineData("data:image/png;base64,AA%3D")]
    [InlineData("data:image/png;base64,====")]
    [InlineData("data:image png;base64,AAAA")]
    [InlineData("https://example.com/x.png")]
    [InlineData("")]
    public void TryParse_RefusesMalformedUris(string uri)
    {
        Assert.False(DataUri.TryParse(uri, Max, out var mediaType, out var bytes, out var error));
        Assert.Null(mediaType);
        Assert.Null(bytes);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void TryParse_RefusesOversizePayloadBeforeDecoding()
    {
        string uri = "data:image/png;base64," + new string('!', 12 * 1024 * 1024); // Not even base64: never looked at.

        // The payload is not even base64: a size verdict proves it was judged by length, never decoded.
        Assert.False(DataUri.TryParse(uri, Max, out _, out _, out var error));

        Assert.StartsWith("The image in the data: URI is about 9 MB", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_AcceptsAPayloadOfExactlyTheLimit()
    {
        var payload = new byte[3000];
        string uri = "data:image/png;base64," + Convert.ToBase64String(payload);

        Assert.True(DataUri.TryParse(uri, 3000, out _, out var bytes, out _));
        Assert.Equal(3000, bytes.Length);
        Assert.False(DataUri.TryParse(uri, 2999, out _, out _, out _));
    }

    [Fact]
    public void TryParse_RefusesHugeHeaders()
    {
        string uri = "data:image/png;" + new string('x', 1000) + ";base64,AAAA";

        Assert.False(DataUri.TryParse(uri, Max, out _, out _, out _));
    }

    [Theory]
    [InlineData("data:image/png;base64,AAAA", true)]
    [InlineData("DaTa:x", true)]
    [InlineData("https://example.com", false)]
    [InlineData(null, false)]
    public void IsDataUri_RecognisesTheScheme(string? value, bool expected)
    {
        Assert.Equal(expected, DataUri.IsDataUri(value));
    }
}
