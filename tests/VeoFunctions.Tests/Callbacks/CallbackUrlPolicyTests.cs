using VeoFunctions.Callbacks;
using VeoFunctions.Images;

namespace VeoFunctions.Tests.Callbacks;

public sealed class CallbackUrlPolicyTests
{
    private static readonly ImageOptions Production = new();

    [Theory]
    [InlineData("https://hooks.example.com/veo")]
    [InlineData("https://hooks.example.com:8443/veo?token=abc")]
    public void PublicHttpsUrls_AreAccepted(string url)
    {
        Assert.True(CallbackUrlPolicy.TryValidate(url, Production, out var uri, out string? reason), reason);
        Assert.Equal(new Uri(url), uri);
    }

    [Theory]
    [InlineData(null, "No callback URL was given.")]
    [InlineData("", "No callback URL was given.")]
    [InlineData("hooks.example.com/veo", "The callback URL is not a valid absolute URL.")]
    [InlineData("http://hooks.example.com/veo", "The callback URL must start with https://.")]
    [InlineData("ftp://hooks.example.com/veo", "The callback URL must start with https://.")]
    [InlineData("https://user:pw@hooks.example.com/veo", "The callback URL must not contain a user name or password.")]
    [InlineData("https://127.0.0.1/veo", "The callback URL points to a private or reserved network address, which is not allowed.")]
    [InlineData("https://169.254.169.254/latest/meta-data/", "The callback URL points to a private or reserved network address, which is not allowed.")]
    [InlineData("https://168.63.129.16/machine?comp=goalstate", "The callback URL points to a private or reserved network address, which is not allowed.")]
    [InlineData("https://10.0.0.5/veo", "The callback URL points to a private or reserved network address, which is not allowed.")]
    [InlineData("https://[::1]/veo", "The callback URL points to a private or reserved network address, which is not allowed.")]
    [InlineData("https://localhost/veo", "The callback URL names the host \"localhost\", a local or private name that is never on the public internet, which is not allowed.")]
    [InlineData("https://metadata/veo", "The callback URL names the host \"metadata\", a name without a domain that only a local network can resolve, which is not allowed.")]
    public void OtherUrls_AreRefusedWithASentenceAboutTheCallbackUrl(string? url, string expected)
    {
        Assert.False(CallbackUrlPolicy.TryValidate(url, Production, out var uri, out string? reason));
        Assert.Null(uri);
        Assert.Equal(expected, reason);
    }

    [Fact]
    public void TheImageSettings_OpenHttpAndAllowListedHosts_ForTestsAndLocalRuns()
    {
        var local = new ImageOptions { AllowHttp = true };
        local.AllowedPrivateHosts.Add("127.0.0.1");

        Assert.True(CallbackUrlPolicy.TryValidate("http://127.0.0.1:7071/hook", local, out _, out string? reason), reason);
        Assert.False(CallbackUrlPolicy.TryValidate("http://10.0.0.5/hook", local, out _, out _));
    }

    [Fact]
    public void AParsedUrl_IsCheckedTheSameWay()
    {
        Assert.True(CallbackUrlPolicy.TryValidate(new Uri("https://hooks.example.com/veo"), Production, out string? reason), reason);
        Assert.False(CallbackUrlPolicy.TryValidate(new Uri("https://169.254.169.254/"), Production, out reason));
        Assert.Equal("The callback URL points to a private or reserved network address, which is not allowed.", reason);
    }
}
