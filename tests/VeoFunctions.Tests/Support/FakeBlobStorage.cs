using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using Moq;
using VeoFunctions.Money;
using VeoFunctions.Storage;

namespace VeoFunctions.Tests.Support;

/// <summary>
/// An in-memory Blob Storage behind Moq mocks of <see cref="BlobServiceClient"/>, <see cref="BlobContainerClient"/>
/// and <see cref="BlobClient"/>: enough of upload (including If-None-Match: * and If-Match with ETags) and download
/// for the app's stores.
/// </summary>
internal sealed class FakeBlobStorage
{
    private readonly ConcurrentDictionary<string, Mock<BlobContainerClient>> _containers = new();
    private readonly ConcurrentDictionary<string, ETag> _etags = new();
    private readonly Lock _writes = new();
    private int _versions;

    public FakeBlobStorage()
    {
        Service = new Mock<BlobServiceClient>(MockBehavior.Strict);
        Service.Setup(s => s.GetBlobContainerClient(It.IsAny<string>()))
            .Returns((string name) => _containers.GetOrAdd(name, CreateContainer).Object);
    }

    /// <summary>Blobs by "container/name".</summary>
    public ConcurrentDictionary<string, BinaryData> Blobs { get; } = new();

    public Mock<BlobServiceClient> Service { get; }

    public int Uploads;

    /// <summary>The Last-Modified every blob reports.</summary>
    public DateTimeOffset LastModified { get; set; } = DateTimeOffset.UnixEpoch;

    public static StorageOptions Options => new() { ConnectionString = "UseDevelopmentStorage=true" };

    public BlobContainers Containers() => new(Service.Object, Microsoft.Extensions.Options.Options.Create(Options));

    /// <summary>The same account's tables (the daily budget).</summary>
    public FakeTables TableService { get; } = new();

    public StorageTables Tables() => TableService.Tables();

    /// <summary>Called after an upload is stored; an exception it returns is thrown, as if the answer were lost.</summary>
    public Func<string, Exception?>? AfterUpload { get; set; }

    public void Put(string container, string name, BinaryData content) => Store($"{container}/{name}", content);

    private ETag Store(string key, BinaryData content)
    {
        var etag = new ETag($"\"v{Interlocked.Increment(ref _versions)}\"");
        Blobs[key] = content;
        _etags[key] = etag;
        return etag;
    }

    private Mock<BlobContainerClient> CreateContainer(string container)
    {
        var mock = new Mock<BlobContainerClient>(MockBehavior.Strict);
        mock.Setup(c => c.CreateIfNotExistsAsync(It.IsAny<PublicAccessType>(), It.IsAny<IDictionary<string, string>>(), It.IsAny<BlobContainerEncryptionScopeOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Response.FromValue(BlobsModelFactory.BlobContainerInfo(new ETag("c"), DateTimeOffset.UnixEpoch), Mock.Of<Response>()));
        mock.Setup(c => c.GetBlobClient(It.IsAny<string>())).Returns((string name) => CreateBlob($"{container}/{name}").Object);
        return mock;
    }

    private Mock<BlobClient> CreateBlob(string key)
    {
        var mock = new Mock<BlobClient>(MockBehavior.Strict);
        mock.Setup(b => b.UploadAsync(It.IsAny<BinaryData>(), It.IsAny<BlobUploadOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((BinaryData content, BlobUploadOptions options, CancellationToken _) =>
            {
                Interlocked.Increment(ref Uploads);
                ETag etag;
                lock (_writes)
                {
                    if (options?.Conditions?.IfNoneMatch == ETag.All && Blobs.ContainsKey(key))
                    {
                        throw new RequestFailedException(409, "The blob already exists.", "BlobAlreadyExists", null);
                    }

                    if (options?.Conditions?.IfMatch is { } expected && (!_etags.TryGetValue(key, out var current) || current != expected))
                    {
                        throw new RequestFailedException(412, "The condition specified using HTTP conditional header(s) is not met.", "ConditionNotMet", null);
                    }

                    etag = Store(key, content);
                }

                if (AfterUpload?.Invoke(key) is { } lost)
                {
                    throw lost;
                }

                return Info(etag);
            });
        mock.Setup(b => b.UploadAsync(It.IsAny<BinaryData>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((BinaryData content, bool overwrite, CancellationToken _) =>
            {
                Interlocked.Increment(ref Uploads);
                lock (_writes)
                {
                    if (!overwrite && Blobs.ContainsKey(key))
                    {
                        throw new RequestFailedException(409, "The blob already exists.");
                    }

                    return Info(Store(key, content));
                }
            });
        mock.Setup(b => b.DownloadContentAsync(It.IsAny<CancellationToken>()))
            .ReturnsAsync((CancellationToken _) => Blobs.TryGetValue(key, out var content)
                ? Response.FromValue(BlobsModelFactory.BlobDownloadResult(content: content, details: BlobsModelFactory.BlobDownloadDetails(lastModified: LastModified, eTag: _etags.GetValueOrDefault(key))), Mock.Of<Response>())
                : throw new RequestFailedException(404, "The specified blob does not exist.", "BlobNotFound", null));
        mock.Setup(b => b.DeleteIfExistsAsync(It.IsAny<DeleteSnapshotsOption>(), It.IsAny<BlobRequestConditions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((DeleteSnapshotsOption _, BlobRequestConditions? conditions, CancellationToken _) =>
            {
                lock (_writes)
                {
                    if (conditions?.IfMatch is { } expected && _etags.TryGetValue(key, out var current) && current != expected)
                    {
                        throw new RequestFailedException(412, "The condition specified using HTTP conditional header(s) is not met.", "ConditionNotMet", null);
                    }

                    _etags.TryRemove(key, out _);
                    return Response.FromValue(Blobs.TryRemove(key, out _), Mock.Of<Response>());
                }
            });
        mock.Setup(b => b.Name).Returns(key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..]);
        mock.Setup(b => b.ExistsAsync(It.IsAny<CancellationToken>()))
            .ReturnsAsync((CancellationToken _) => Response.FromValue(Blobs.ContainsKey(key), Mock.Of<Response>()));
        return mock;
    }

    private Response<BlobContentInfo> Info(ETag etag) =>
        Response.FromValue(BlobsModelFactory.BlobContentInfo(etag, LastModified, null, null, 0), Mock.Of<Response>());
}
