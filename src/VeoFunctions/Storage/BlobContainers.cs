using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;

namespace VeoFunctions.Storage;

/// <summary>The app's two containers, created on first use.</summary>
public sealed class BlobContainers(BlobServiceClient service, IOptions<StorageOptions> options)
{
    private readonly Lazy<Task<BlobContainerClient>> _videos = new(() => CreateAsync(service, options.Value.VideosContainer));
    private readonly Lazy<Task<BlobContainerClient>> _work = new(() => CreateAsync(service, options.Value.WorkContainer));

    public Task<BlobContainerClient> VideosAsync() => _videos.Value;

    public Task<BlobContainerClient> WorkAsync() => _work.Value;

    private static async Task<BlobContainerClient> CreateAsync(BlobServiceClient service, string name)
    {
        var container = service.GetBlobContainerClient(name);
        await container.CreateIfNotExistsAsync().ConfigureAwait(false);
        return container;
    }
}
