using Microsoft.DurableTask;
using VeoFunctions.Images;
using VeoFunctions.Storage;

namespace VeoFunctions.Jobs.Activities;

public sealed record FetchImageInput(string JobId, int Index, Uri Url);

/// <summary>Downloads a reference image safely, checks it by its bytes and stages it. Nothing is spent yet.</summary>
public sealed class FetchImage(SafeImageDownloader downloader, ImageStaging staging) : TaskActivity<FetchImageInput, StagedImage>
{
    public override async Task<StagedImage> RunAsync(TaskActivityContext context, FetchImageInput input)
    {
        try
        {
            var image = await downloader.DownloadAsync(input.Url, CancellationToken.None).ConfigureAwait(false);
            return await staging.StageAsync(input.JobId, input.Index, image.Bytes, image.Image, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ImageRejectedException ex)
        {
            throw new JobFailedException($"Reference image {input.Index + 1} was refused: {ex.Reason}", ex);
        }
    }
}
