using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;

namespace VeoFunctions.Storage;

/// <summary>
/// The app's containers. Its own two are created on first use. Only a successful create is kept: a failure (a 403 while the
/// app's role assignment propagates after a deploy, a storage blip) is tried again by the next caller.
/// </summary>
public sealed class BlobContainers(BlobServiceClient service, IOptions<StorageOptions> options)
{
    private readonly SuccessOnlyLazy<BlobContainerClient> _videos = new(() => CreateAsync(service, options.Value.VideosContainer));
    private readonly SuccessOnlyLazy<BlobContainerClient> _work = new(() => CreateAsync(service, options.Value.WorkContainer));

    public Task<BlobContainerClient> VideosAsync() => _videos.GetAsync();

    public Task<BlobContainerClient> WorkAsync() => _work.GetAsync();

    /// <summary>The user's manifest container (created by the deployment; the app writes result files into it).</summary>
    public BlobContainerClient Jobs() => service.GetBlobContainerClient(options.Value.JobsContainer);

    /// <summary>The user's private images container (read only).</summary>
    public BlobContainerClient Images() => service.GetBlobContainerClient(options.Value.ImagesContainer);

    private static async Task<BlobContainerClient> CreateAsync(BlobServiceClient service, string name)
    {
        var container = service.GetBlobContainerClient(name);
        await container.CreateIfNotExistsAsync().ConfigureAwait(false);
        return container;
    }
}
