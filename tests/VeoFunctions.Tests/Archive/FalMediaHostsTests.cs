using Fal;
using VeoFunctions.Archive;

namespace VeoFunctions.Tests.Archive;

public sealed class FalMediaHostsTests
{
    [Theory]
    [InlineData("https://v3.fal.media/files/a/output.mp4", true)]
    [InlineData("https://v3b.fal.media/files/a/output.mp4", true)]
    [InlineData("https://fal.media/files/a/output.mp4", true)]
    [InlineData("https://storage.googleapis.com/falserverless/example_outputs/veo31-r2v-output.mp4", true)]
    [InlineData("https://evilfal.media/output.mp4", false)] // a suffix match must be a subdomain
    [InlineData("https://fal.media.evil.example/output.mp4", false)]
    [InlineData("https://example.com/output.mp4", false)]
    [InlineData("http://v3.fal.media/files/a/output.mp4", false)] // plain http only when allowed
    [InlineData("https://user@v3.fal.media/files/a/output.mp4", false)]
    [InlineData("file:///etc/passwd", false)]
    public void FalsDefaultHosts_OverHttps(string url, bool allowed) =>
        Assert.Equal(allowed, FalMediaHosts.Allows(new Uri(url), FalOptions.DefaultMediaHosts, allowHttp: false));

    [Fact]
    public void ConfiguredHosts_AndHttpWhenAllowed() =>
        Assert.True(FalMediaHosts.Allows(new Uri("http://127.0.0.1:9500/files/x/v.mp4"), ["127.0.0.1"], allowHttp: true));
}
