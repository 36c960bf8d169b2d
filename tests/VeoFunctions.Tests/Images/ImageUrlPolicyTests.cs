using VeoFunctions.Images;

namespace VeoFunctions.Tests.Images;

public sealed class ImageUrlPolicyTests
{
    private static readonly ImageOptions Defaults = new();

    private static string Refusal(string url, ImageOptions? options = null)
    {
        bool ok = ImageUrlPolicy.TryValidate(url, options ?? Defaults, out var uri, out var reason);
        Assert.False(ok, $"Expected {url} to be refused but got {uri}.");
        Assert.Null(uri);
        Assert.NotNull(reason);
        return reason;
    }

    [Theory]
    [InlineData("https://example.com/cat.png")]
    [InlineData("https://cdn.example.com:8443/a/b.jpg?sv=2024&sig=abc")]
    [InlineData("https://8.8.8.8/x.webp")]
    [InlineData("https://[2606:4700:4700::1111]/x.png")]
    public void TryValidate_AcceptsPublicHttpsUrls(string url)
    {
        Assert.True(ImageUrlPolicy.TryValidate(url, Defaults, out var uri, out var reason), reason);
        Assert.Equal(url, uri.OriginalString);
    }

    [Fact]
    public void TryValidate_RefusesHttpByDefault()
    {
        Assert.Equal("The image URL must start with https://.", Refusal("http://example.com/cat.png"));
    }

    [Fact]
    public void TryValidate_AcceptsHttpWhenAllowed()
    {
        var options = new ImageOptions { AllowHttp = true };

        Assert.True(ImageUrlPolicy.TryValidate("http://example.com/cat.png", options, out _, out _));
    }

    [Theory]
    [InlineData("ftp://example.com/cat.png")]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://example.com/")]
    [InlineData("data:image/png;base64,AAAA")]
    public void TryValidate_RefusesOtherSchemes(string url)
    {
        Assert.Equal("The image URL must start with https://.", Refusal(url));
    }

    [Theory]
    [InlineData("https://user:secret@example.com/cat.png")]
    [InlineData("https://user@example.com/cat.png")]
    public void TryValidate_RefusesCredentialsInTheUrl(string url)
    {
        Assert.Equal("The image URL must not contain a user name or password.", Refusal(url));
    }

    [Theory]
    [InlineData("https://169.254.169.254/latest/meta-data/")]
    [InlineData("https://127.0.0.1/x.png")]
    [InlineData("https://10.0.0.5/x.png")]
    [InlineData("https://[::1]/x.png")]
    [InlineData("https://[::ffff:169.254.169.254]/x.png")]
    [InlineData("https://2130706433/x.png")]
    [InlineData("https://0x7f.1/x.png")]
    public void TryValidate_RefusesLiteralPrivateAddresses(string url)
    {
        Assert.Equal("The image URL points to a private or reserved network address, which is not allowed.", Refusal(url));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("cat.png")]
    [InlineData("/images/cat.png")]
    [InlineData("https://exa mple.com/cat.png")]
    public void TryValidate_RefusesMissingOrRelativeUrls(string url)
    {
        Refusal(url);
    }

    [Fact]
    public void TryValidate_RefusesOverlongUrls()
    {
        Assert.Contains("too long", Refusal("https://example.com/" + new string('a', 5000)), StringComparison.Ordinal);
    }

    [Fact]
    public void TryValidate_AllowListLetsLocalTestServersThrough()
    {
        var options = new ImageOptions { AllowHttp = true, AllowedPrivateHosts = { "127.0.0.1" } };

        Assert.True(ImageUrlPolicy.TryValidate("http://127.0.0.1:5000/x.png", options, out _, out var reason), reason);
        Assert.False(ImageUrlPolicy.TryValidate("http://10.0.0.1:5000/x.png", options, out _, out _));
    }

    [Fact]
    public void TryValidateRedirect_RefusesHttpsToHttpDowngradeEvenWhenHttpIsAllowed()
    {
        var options = new ImageOptions { AllowHttp = true };

        bool ok = ImageUrlPolicy.TryValidateRedirect(
            new Uri("https://example.com/a.png"), new Uri("http://example.com/a.png"), options, out _, out var reason);

        Assert.False(ok);
        Assert.Equal("The image URL redirected from https to insecure http, which is not allowed.", reason);
    }

    [Fact]
    public void TryValidateRedirect_ResolvesRelativeLocations()
    {
        bool ok = ImageUrlPolicy.TryValidateRedirect(
            new Uri("https://example.com/a/b.png"), new Uri("../c.png", UriKind.Relative), Defaults, out var next, out _);

        Assert.True(ok);
        Assert.Equal(new Uri("https://example.com/c.png"), next);
    }

    [Fact]
    public void TryValidateRedirect_RefusesMetadataEndpoint()
    {
        bool ok = ImageUrlPolicy.TryValidateRedirect(
            new Uri("https://example.com/a.png"), new Uri("https://169.254.169.254/latest"), Defaults, out _, out var reason);

        Assert.False(ok);
        Assert.Equal("The image URL redirected to a URL that points to a private or reserved network address, which is not allowed.", reason);
    }

    [Fact]
    public void TryValidateRedirect_RefusesMissingLocation()
    {
        Assert.False(ImageUrlPolicy.TryValidateRedirect(new Uri("https://example.com/a.png"), null, Defaults, out _, out _));
    }
}
