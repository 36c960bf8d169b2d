using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VeoFunctions.Images;

namespace VeoFunctions.Tests.Images;

public sealed class SafeImageDownloaderTests(ImageServerFixture server) : IClassFixture<ImageServerFixture>
{
    private static ImageOptions TestOptions(bool allowListLoopback = true)
    {
        var options = new ImageOptions
        {
            AllowHttp = true,
            MaxImageBytes = 64 * 1024,
            DownloadTimeout = TimeSpan.FromSeconds(15), // generous: the machine may be busy; the drip test sets its own
        };
        if (allowListLoopback)
        {
            options.AllowedPrivateHosts.Add("127.0.0.1");
        }

        return options;
    }

    private static SafeImageDownloader Downloader(ImageOptions options) =>
        new(new HttpClient(SafeImageDownloader.CreateHandler(options)), Options.Create(options), NullLogger<SafeImageDownloader>.Instance);

    private static SafeImageDownloader Downloader(ImageOptions options, Func<string, CancellationToken, Task<IPAddress[]>> resolve) =>
        new(new HttpClient(SafeImageDownloader.CreateHandler(options, resolve)), Options.Create(options), NullLogger<SafeImageDownloader>.Instance);

    /// <summary>A DNS that knows one name.</summary>
    private static Func<string, CancellationToken, Task<IPAddress[]>> Resolving(string name, params IPAddress[] addresses) =>
        (host, _) => host == name ? Task.FromResult(addresses) : throw new SocketException((int)SocketError.HostNotFound);

    private Task<DownloadedImage> Download(string pathAndQuery, ImageOptions? options = null) =>
        Downloader(options ?? TestOptions()).DownloadAsync(server.Url(pathAndQuery));

    [Fact]
    public async Task DownloadAsync_ReturnsBytesAndDimensions()
    {
        var image = await Download("/png");

        Assert.Equal(ImageServerFixture.Png, image.Bytes.ToArray());
        Assert.Equal(new InspectedImage(ImageFormat.Png, 4, 3), image.Image);
        Assert.Equal("image/png", image.DeclaredContentType);
    }

    [Fact]
    public async Task DownloadAsync_TrustsBytesOverTheDeclaredContentType()
    {
        var image = await Download("/jpeg-as-png");

        Assert.Equal(ImageFormat.Jpeg, image.Image.Format);
        Assert.False(image.Image.MatchesContentType(image.DeclaredContentType));
    }

    [Fact]
    public async Task DownloadAsync_AcceptsUriInput()
    {
        var options = TestOptions();
        var image = await Downloader(options).DownloadAsync(new Uri(server.BaseAddress, "/png"));

        Assert.Equal(ImageFormat.Png, image.Image.Format);
    }

    [Fact]
    public async Task DownloadAsync_RejectsNotFoundWithoutLeakingTheQueryString()
    {
        var ex = await Assert.ThrowsAsync<ImageRejectedException>(() => Download("/status/404?sig=SECRET-SAS-TOKEN"));

        Assert.Equal($"The image at http://127.0.0.1:{server.Port}/status/404?… could not be downloaded: the server answered 404 Not Found.", ex.Reason);
        Assert.DoesNotContain("SECRET", ex.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", ex.SourceUrl, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(403)]
    [InlineData(410)]
    [InlineData(401)]
    public async Task DownloadAsync_RejectsClientErrors(int status)
    {
        var ex = await Assert.ThrowsAsync<ImageRejectedException>(() => Download($"/status/{status}"));

        Assert.Contains($"the server answered {status}", ex.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(429)]
    [InlineData(408)]
    public async Task DownloadAsync_TreatsServerErrorsAsTransient(int status)
    {
        var ex = await Assert.ThrowsAsync<ImageDownloadException>(() => Download($"/status/{status}"));

        Assert.True(ex.IsTransient);
        Assert.Contains($"{status}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DownloadAsync_CutsOffChunkedBodyLargerThanTheCapWhileStreaming()
    {
        var ex = await Assert.ThrowsAsync<ImageRejectedException>(() => Download("/big-chunked"));

        Assert.Contains("larger than 64 KB", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DownloadAsync_RejectsDeclaredContentLengthAboveTheCapWithoutReading()
    {
        var ex = await Assert.ThrowsAsync<ImageRejectedException>(() => Download("/declared-huge"));

        // The declared size in the reason shows it was refused from the header, not while streaming.
        Assert.Contains("95.4 MB", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DownloadAsync_TimesOutOnASlowDripServer()
    {
        var options = TestOptions();
        options.DownloadTimeout = TimeSpan.FromSeconds(1);

        var ex = await Assert.ThrowsAsync<ImageDownloadException>(() => Download("/slow", options));

        Assert.True(ex.IsTransient);
        Assert.Contains("did not download within 1 second.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DownloadAsync_PropagatesCallerCancellation()
    {
        var options = TestOptions();
        options.DownloadTimeout = TimeSpan.FromSeconds(30);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Downloader(options).DownloadAsync(server.Url("/slow"), cts.Token));
    }

    [Fact]
    public async Task DownloadAsync_FollowsAllowedRedirects()
    {
        var image = await Download("/redirect?to=/png");

        Assert.Equal(ImageFormat.Png, image.Image.Format);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/", "points to a private or reserved network address, which is not allowed")]
    [InlineData("http://10.0.0.1/x.png", "points to a private or reserved network address, which is not allowed")]
    [InlineData("ftp://example.com/x.png", "must start with https:// or http://")]
    [InlineData("file:///etc/passwd", "must start with https:// or http://")]
    [InlineData("http://user:pw@example.com/x.png", "must not contain a user name or password")]
    public async Task DownloadAsync_RefusesRedirectToDisallowedTarget(string target, string problem)
    {
        var ex = await Assert.ThrowsAsync<ImageRejectedException>(() => Download("/redirect?to=" + Uri.EscapeDataString(target)));

        Assert.Equal($"The image URL redirected to a URL that {problem}.", ex.Reason);
    }

    [Fact]
    public async Task DownloadAsync_GivesUpAfterTooManyRedirects()
    {
        var ex = await Assert.ThrowsAsync<ImageRejectedException>(() => Download("/redirect-loop"));

        Assert.Contains("redirected more than 3 times", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DownloadAsync_BlocksAPublicLookingNameThatResolvesToLoopback_AtConnectTime()
    {
        // DNS rebinding: the name passes the static URL check; only the connect callback, which sees the
        // resolved address, can stop it. The server must never see the request.
        var options = TestOptions(allowListLoopback: false);
        int before = server.RequestCount;

        var ex = await Assert.ThrowsAsync<ImageRejectedException>(
            () => Downloader(options, Resolving("images.example.com", IPAddress.Loopback)).DownloadAsync($"http://images.example.com:{server.Port}/png"));

        Assert.Equal("The image URL points to a private or reserved network address, which is not allowed.", ex.Reason);
        Assert.Equal(before, server.RequestCount);
    }

    [Fact]
    public async Task DownloadAsync_AppliesTheAllowListToResolvedAddressesAfterARedirect()
    {
        // Entry via allow-listed 127.0.0.1, redirect to a name: the connect callback re-checks the addresses it
        // resolves to, and ::1 is not allow-listed even though 127.0.0.1 is.
        var options = TestOptions(allowListLoopback: false);
        options.AllowedPrivateHosts.Add("127.0.0.1");
        string target = Uri.EscapeDataString($"http://rebound.example.com:{server.Port}/png");

        await Assert.ThrowsAsync<ImageRejectedException>(
            () => Downloader(options, Resolving("rebound.example.com", IPAddress.IPv6Loopback)).DownloadAsync(server.Url("/redirect?to=" + target)));
        var allowed = await Downloader(options, Resolving("rebound.example.com", IPAddress.Loopback)).DownloadAsync(server.Url("/redirect?to=" + target));

        Assert.Equal(ImageFormat.Png, allowed.Image.Format); // resolves only to the allow-listed IP: allowed by the IP match
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("images.localhost")]
    [InlineData("vm")]
    public async Task DownloadAsync_RefusesANeverPublicHostName_BeforeAnyNetworkCall(string host)
    {
        var options = TestOptions(allowListLoopback: false);
        int before = server.RequestCount;

        var ex = await Assert.ThrowsAsync<ImageRejectedException>(() => Downloader(options).DownloadAsync($"http://{host}:{server.Port}/png"));

        Assert.StartsWith($"The image URL names the host \"{host}\"", ex.Reason, StringComparison.Ordinal);
        Assert.Equal(before, server.RequestCount);
    }

    [Fact]
    public async Task DownloadAsync_RejectsLiteralLoopbackBeforeAnyNetworkCall()
    {
        var options = TestOptions(allowListLoopback: false);
        int before = server.RequestCount;

        var ex = await Assert.ThrowsAsync<ImageRejectedException>(() => Downloader(options).DownloadAsync(server.Url("/png")));

        Assert.Equal("The image URL points to a private or reserved network address, which is not allowed.", ex.Reason);
        Assert.Equal(before, server.RequestCount);
    }

    [Fact]
    public async Task DownloadAsync_RejectsHtmlPageServedAsPng()
    {
        var ex = await Assert.ThrowsAsync<ImageRejectedException>(() => Download("/html-as-png"));

        Assert.Equal("The file is an HTML page, not a PNG, JPEG or WebP image.", ex.Reason);
    }

    [Fact]
    public async Task DownloadAsync_NeverDecompressesContentEncoding()
    {
        var ex = await Assert.ThrowsAsync<ImageRejectedException>(() => Download("/gzip"));

        Assert.Equal("The file is a gzip-compressed file, not a PNG, JPEG or WebP image.", ex.Reason);
    }

    [Fact]
    public async Task DownloadAsync_RefusesHttpWhenNotAllowed()
    {
        var options = TestOptions();
        options.AllowHttp = false;

        var ex = await Assert.ThrowsAsync<ImageRejectedException>(() => Downloader(options).DownloadAsync(server.Url("/png")));

        Assert.Equal("The image URL must start with https://.", ex.Reason);
    }

    [Fact]
    public async Task DownloadAsync_TreatsConnectionRefusedAsTransient()
    {
        var options = TestOptions();
        int closedPort;
        using (var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }

        var ex = await Assert.ThrowsAsync<ImageDownloadException>(
            () => Downloader(options).DownloadAsync($"http://127.0.0.1:{closedPort}/png"));

        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task DownloadAsync_ClassifiesUnresolvableHostsWithoutHanging()
    {
        // ".invalid" never resolves (RFC 6761). Offline sandboxes may answer "not found" (rejected) or
        // "try again" (transient); either way it is one of our two exception types, quickly.
        var options = TestOptions();

        var ex = await Record.ExceptionAsync(() => Downloader(options).DownloadAsync("http://no-such-host.invalid/x.png"));

        Assert.True(ex is ImageRejectedException or ImageDownloadException, ex?.ToString());
    }

    [Fact]
    public async Task LoadAsync_DecodesAndInspectsDataUris()
    {
        var options = TestOptions();
        string uri = "data:image/png;base64," + Convert.ToBase64String(ImageServerFixture.Png);

        var image = await Downloader(options).LoadAsync(uri);

        Assert.Equal(new InspectedImage(ImageFormat.Png, 4, 3), image.Image);
    }

    [Fact]
    public async Task LoadAsync_RejectsDataUrisThatAreNotImages()
    {
        var options = TestOptions();
        string uri = "data:image/png;base64," + Convert.ToBase64String("%PDF-1.4"u8.ToArray());

        var ex = await Assert.ThrowsAsync<ImageRejectedException>(() => Downloader(options).LoadAsync(uri));

        Assert.Equal("The file is a PDF document, not a PNG, JPEG or WebP image.", ex.Reason);
    }

    [Fact]
    public void CreateHandler_DisablesRedirectsDecompressionAndProxies()
    {
        using var handler = SafeImageDownloader.CreateHandler(new ImageOptions());

        Assert.False(handler.AllowAutoRedirect);
        Assert.Equal(System.Net.DecompressionMethods.None, handler.AutomaticDecompression);
        Assert.False(handler.UseProxy);
        Assert.NotNull(handler.ConnectCallback);
    }
}
