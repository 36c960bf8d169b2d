using System.Web;
using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;
using VeoFunctions.Jobs;
using VeoFunctions.Storage;

namespace VeoFunctions.Tests.Storage;

/// <summary>Download links: a service SAS with an account key, a user delegation SAS with a managed identity.</summary>
public sealed class VideoLinksTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Uri ServiceUri = new("https://stexample.blob.core.windows.net/");

    private readonly FakeTimeProvider _time = new(Now);

    private static ArchivedVideo Video(string account = "devstoreaccount1") =>
        new("videos", "2026/03/01/job1.mp4", new Uri($"https://{account}.example/videos/2026/03/01/job1.mp4"), "2026/03/01/job1.json", 2515, "video/mp4");

    private VideoLinks Links(BlobServiceClient service, TimeSpan? lifetime = null) => new(
        service,
        Options.Create(new StorageOptions { ConnectionString = "x", DownloadLinkLifetime = lifetime ?? TimeSpan.FromHours(1) }),
        _time,
        NullLogger<VideoLinks>.Instance);

    private static System.Collections.Specialized.NameValueCollection Query(Uri url) => HttpUtility.ParseQueryString(url.Query);

    // A client on a real account URI with a token credential (as with Storage:BlobServiceUri), whose only stand-in is
    // the key request: everything else, the SAS included, is the SDK's own code.
    private static Mock<BlobServiceClient> ManagedIdentityService()
    {
        var service = new Mock<BlobServiceClient>(ServiceUri, Mock.Of<TokenCredential>(), new BlobClientOptions()) { CallBase = true };
        service.Setup(s => s.GetUserDelegationKeyAsync(It.IsAny<BlobGetUserDelegationKeyOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((BlobGetUserDelegationKeyOptions request, CancellationToken _) => Response.FromValue(
                BlobsModelFactory.UserDelegationKey("app-object-id", "tenant-id", request.StartsOn!.Value, request.ExpiresOn, "b", "2025-01-05", Convert.ToBase64String(new byte[32])),
                Mock.Of<Response>()));
        return service;
    }

    [Fact]
    public async Task WithAConnectionString_TheLinkIsAReadOnlyServiceSasForTheOneBlob_ExpiringAfterTheLifetime()
    {
        var links = Links(new BlobServiceClient("UseDevelopmentStorage=true"));

        var linked = await links.LinkAsync(Video(), CancellationToken.None);

        Assert.NotNull(linked);
        var url = linked.DownloadUrl!;
        Assert.Equal("/devstoreaccount1/videos/2026/03/01/job1.mp4", url.AbsolutePath);
        var query = Query(url);
        Assert.Equal("r", query["sp"]);
        Assert.Equal("b", query["sr"]);
        Assert.Equal(Now.AddHours(1), DateTimeOffset.Parse(query["se"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.NotEmpty(query["sig"]!);
        Assert.Null(query["skoid"]);
        Assert.Equal(Now.AddHours(1), linked.DownloadUrlExpiresAt);
        Assert.Equal(Video(), linked with { DownloadUrl = null, DownloadUrlExpiresAt = null });
    }

    [Fact]
    public async Task WithAManagedIdentity_TheLinkIsAUserDelegationSas_AndOneKeyServesManyLinks()
    {
        var service = ManagedIdentityService();
        var links = Links(service.Object, TimeSpan.FromMinutes(30));

        var first = await links.LinkAsync(Video("stexample"), CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(1));
        var second = await links.LinkAsync(Video("stexample"), CancellationToken.None);

        var query = Query(first!.DownloadUrl!);
        Assert.Equal("https", first.DownloadUrl!.Scheme);
        Assert.Equal("stexample.blob.core.windows.net", first.DownloadUrl.Host);
        Assert.Equal("app-object-id", query["skoid"]);
        Assert.Equal("r", query["sp"]);
        Assert.Equal("https", query["spr"]);
        Assert.Equal(Now.AddMinutes(30), DateTimeOffset.Parse(query["se"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Now.AddHours(1).AddMinutes(30), second!.DownloadUrlExpiresAt);
        service.Verify(s => s.GetUserDelegationKeyAsync(
            It.Is<BlobGetUserDelegationKeyOptions>(r => r.StartsOn == Now.AddMinutes(-5) && r.ExpiresOn == Now + VideoLinks.KeyLifetime),
            It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task AKeyThatWouldExpireBeforeTheNextLink_IsRenewed()
    {
        var service = ManagedIdentityService();
        var links = Links(service.Object, TimeSpan.FromHours(1));
        await links.LinkAsync(Video("stexample"), CancellationToken.None);

        _time.Advance(VideoLinks.KeyLifetime - TimeSpan.FromMinutes(30)); // the key has 30 minutes left; a link needs 60
        var later = await links.LinkAsync(Video("stexample"), CancellationToken.None);

        Assert.Equal(_time.GetUtcNow().AddHours(1), later!.DownloadUrlExpiresAt);
        service.Verify(s => s.GetUserDelegationKeyAsync(It.IsAny<BlobGetUserDelegationKeyOptions>(), It.IsAny<CancellationToken>()), Times.Exactly(2));
        service.Verify(s => s.GetUserDelegationKeyAsync(It.Is<BlobGetUserDelegationKeyOptions>(r => r.ExpiresOn == _time.GetUtcNow() + VideoLinks.KeyLifetime), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task AKeyRefused_GivesNoLink_ServesTheStatusWithoutIt_AndIsAskedForAgainNextTime()
    {
        var service = ManagedIdentityService();
        service.SetupSequence(s => s.GetUserDelegationKeyAsync(It.IsAny<BlobGetUserDelegationKeyOptions>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException(403, "This request is not authorized to perform this operation using this permission.", "AuthorizationPermissionMismatch", null))
            .ReturnsAsync(Response.FromValue(
                BlobsModelFactory.UserDelegationKey("app-object-id", "tenant-id", Now, Now.AddDays(2), "b", "2025-01-05", Convert.ToBase64String(new byte[32])),
                Mock.Of<Response>()));
        var links = Links(service.Object);
        var status = new JobStatus("job1", "completed", Now, Now, "req-1", null, Video("stexample"), null);

        var refused = await links.WithLinkAsync(status, CancellationToken.None);
        var granted = await links.WithLinkAsync(status, CancellationToken.None);

        Assert.Equal(status, refused);
        Assert.NotNull(granted.Video!.DownloadUrl);
    }

    [Fact]
    public async Task AStatusWithoutAVideo_IsServedAsItIs()
    {
        var service = ManagedIdentityService();
        var status = new JobStatus("job1", "generating", Now, Now, "req-1", null, null, null);

        Assert.Same(status, await Links(service.Object).WithLinkAsync(status, CancellationToken.None));
        service.Verify(s => s.GetUserDelegationKeyAsync(It.IsAny<BlobGetUserDelegationKeyOptions>(), It.IsAny<CancellationToken>()), Times.Never);
    }
}
