using Fal;
using Fal.Storage;
using Microsoft.DurableTask;
using VeoFunctions.Storage;

namespace VeoFunctions.Jobs.Activities;

/// <summary>Uploads a staged image to fal's storage, returning the URL the model will fetch.</summary>
public sealed class UploadImageToFal(ImageStaging staging, FalStorageClient fal) : TaskActivity<StagedImage, string>
{
    public override async Task<string> RunAsync(TaskActivityContext context, StagedImage input)
    {
        var bytes = await staging.ReadAsync(input, CancellationToken.None).ConfigureAwait(false);
        try
        {
            var url = await fal.UploadAsync(bytes, input.ContentType, Path.GetFileName(input.BlobName), CancellationToken.None).ConfigureAwait(false);
            return url.AbsoluteUri;
        }
        catch (FalApiException ex) when (!ex.IsTransient)
        {
            throw new JobFailedException($"fal refused reference image {input.Index + 1}: {ex.Message}", ex);
        }
    }
}
