using Azure.Storage.Blobs.Models;
using VeoFunctions.Images;
using VeoFunctions.Jobs;

namespace VeoFunctions.Storage;

/// <summary>
/// Checked images wait in the work container between the check and the upload to fal, so image bytes
/// never travel through orchestration state.
/// </summary>
public sealed class ImageStaging(BlobContainers containers)
{
    public async Task<StagedImage> StageAsync(string jobId, int index, ReadOnlyMemory<byte> bytes, InspectedImage image, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        string name = $"{jobId}/images/{index}{image.FileExtension}";
        await container.GetBlobClient(name).UploadAsync(
            BinaryData.FromBytes(bytes),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = image.ContentType } },
            cancellationToken).ConfigureAwait(false);
        return new StagedImage(index, name, image.ContentType, bytes.Length, image.Width, image.Height);
    }

    public async Task<ReadOnlyMemory<byte>> ReadAsync(StagedImage image, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        var content = await container.GetBlobClient(image.BlobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
        return content.Value.Content.ToMemory();
    }
}
