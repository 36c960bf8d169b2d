using Azure.Storage.Blobs.Models;
using VeoFunctions.Images;
using VeoFunctions.Jobs;

namespace VeoFunctions.Storage;

/// <summary>
/// Checked images wait in the work container between the check and the upload to fal, so image bytes
/// never travel through orchestration state.
/// </summary>
/// <remarks>
/// Staged images live under <see cref="Prefix"/>, the only part of the work container the storage lifecycle rule
/// deletes (infra/modules/storage.bicep); claims and the submission ledger, which must be kept, live elsewhere.
/// A staged image is read by the name recorded in durable state, so images staged under an older name still load.
/// </remarks>
public sealed class ImageStaging(BlobContainers containers)
{
    /// <summary>The work container's prefix for staged images, which expire after the retention days.</summary>
    public const string Prefix = "staged/";

    public async Task<StagedImage> StageAsync(string jobId, int index, ReadOnlyMemory<byte> bytes, InspectedImage image, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        string name = $"{Prefix}{jobId}/images/{index}{image.FileExtension}";
        await container.GetBlobClient(name).UploadAsync(
            BinaryData.FromBytes(bytes),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = image.ContentType } },
            cancellationToken).ConfigureAwait(false);
        return new StagedImage(index, name, image.ContentType, bytes.Length, image.Width, image.Height);
    }

    /// <summary>How often an unfinished copy into staging is looked at (a copy within the account is usually done at once).</summary>
    private static readonly TimeSpan CopyPollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Copies a checked blob of the app's images container into staging, server-side and only if it is still the version
    /// that was checked (a 412 otherwise: the start fails, and the retried intake checks the new bytes). The bytes never
    /// pass through the worker: a batch's intake reads each image once, to check it.
    /// </summary>
    public async Task<StagedImage> StageBlobAsync(string jobId, int index, BlobImage source, string version, InspectedImage image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(image);
        var container = await containers.WorkAsync().ConfigureAwait(false);
        string name = $"{Prefix}{jobId}/images/{index}{image.FileExtension}";
        // Copy Blob within the account: the app's own identity (or key) authorizes the source; the ETag condition makes the
        // copy that version or nothing, so the staged bytes are the checked ones. The content type travels in StagedImage.
        var copy = await container.GetBlobClient(name).StartCopyFromUriAsync(containers.Images().GetBlobClient(source.Name).Uri,
            new BlobCopyFromUriOptions { SourceConditions = new BlobRequestConditions { IfMatch = new Azure.ETag(version) } }, cancellationToken).ConfigureAwait(false);
        long bytes = (await copy.WaitForCompletionAsync(CopyPollInterval, cancellationToken).ConfigureAwait(false)).Value;
        return new StagedImage(index, name, image.ContentType, bytes, image.Width, image.Height);
    }

    public async Task<ReadOnlyMemory<byte>> ReadAsync(StagedImage image, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        var content = await container.GetBlobClient(image.BlobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
        return content.Value.Content.ToMemory();
    }
}
