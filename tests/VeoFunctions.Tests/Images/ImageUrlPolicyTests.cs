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
    [InlineData("https://168.63.129.16/machine?comp=goalstate")]
    [InlineData("https://2130706433/x.png")]
    [InlineData("https://0x7f.1/x.png")]
    public void TryValidate_RefusesLiteralPrivateAddresses(string url)
    {
        Assert.Equal("The image URL points to a private or reserved network address, which is not allowed.", Refusal(url));
    }

    [Theory]
    [InlineData("https://localhost/x.png", "localhost")]
    [InlineData("https://LocalHost:8443/x.png", "localhost")]
    [InlineData("https://localhost./x.png", "localhost")]
    [InlineData("https://images.localhost/x.png", "images.localhost")]
    [InlineData("https://metadata.google.internal/computeMetadata/v1/", "metadata.google.internal")]
    [InlineData("https://ip-10-0-0-1.ec2.internal/x.png", "ip-10-0-0-1.ec2.internal")]
    [InlineData("https://printer.local/x.png", "printer.local")]
    [InlineData("https://nas.home.arpa/x.png", "nas.home.arpa")]
    [InlineData("https://files.corp/x.png", "files.corp")]
    [InlineData("https://router.home/x.png", "router.home")]
    [InlineData("https://exchange.mail/x.png", "exchange.mail")]
    [InlineData("https://\uFF4C\uFF4F\uFF43\uFF41\uFF4C\uFF48\uFF4F\uFF53\uFF54/x.png", "localhost")] // full-width letters
    public void TryValidate_RefusesHostNamesThatAreNeverPublic(string url, string host)
    {
        Assert.Equal($"The image URL names the host \"{host}\", a local or private name that is never on the public internet, which is not allowed.", Refusal(url));
    }

    [Theory]
    [InlineData("https://metadata/computeMetadata/v1/", "metadata")]
    [InlineData("https://instance-data/latest/meta-data/", "instance-data")]
    [InlineData("https://intranet/x.png", "intranet")]
    [InlineData("https://fileserver./x.png", "fileserver")]
    public void TryValidate_RefusesHostNamesWithoutADomain(string url, string host)
    {
        Assert.Equal($"The image URL names the host \"{host}\", a name without a domain that only a local network can resolve, which is not allowed.", Refusal(url));
    }

    [Theory]
    [InlineData("https://internal.example.com/x.png")]
    [InlineData("https://localhost.example.com/x.png")]
    [InlineData("https://my.email/x.png")]
    [InlineData("https://shop.homes/x.png")]
    [InlineData("https://nas.lan/x.png")] // private by habit only: no one reserved .lan (see NeverPublicSuffixes)
    public void TryValidate_JudgesSuffixesByWholeLabels_AndOnlyReservedOnes(string url)
    {
        Assert.True(ImageUrlPolicy.TryValidate(url, Defaults, out _, out var reason), reason);
    }

    [Fact]
    public void TryValidate_AllowListLetsANamedLocalHostThrough_AndOnlyThatOne()
    {
        var options = new ImageOptions { AllowHttp = true, AllowedPrivateHosts = { "localhost" } };

        Assert.True(ImageUrlPolicy.TryValidate("http://localhost:5000/x.png", options, out _, out var reason), reason);
        Assert.False(ImageUrlPolicy.TryValidate("http://metadata.google.internal/x.png", options, out _, out _));
    }

    [Fact]
    public void TryValidateRedirect_RefusesANeverPublicHostName()
    {
        bool ok = ImageUrlPolicy.TryValidateRedirect(
            new Uri("https://example.com/a.png"), new Uri("https://metadata.google.internal/computeMetadata/v1/"), Defaults, out _, out var reason);

        Assert.False(ok);
        Assert.Equal("The image URL redirected to a URL that names the host \"metadata.google.internal\", a local or private name that is never on the public internet, which is not allowed.", reason);
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
