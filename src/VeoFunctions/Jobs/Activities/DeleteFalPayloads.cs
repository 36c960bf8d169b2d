using Fal;
using Fal.Platform;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Money;

namespace VeoFunctions.Jobs.Activities;

/// <summary>
/// Once the video is archived, deletes fal's stored input and output of the request and the output's CDN files
/// (<c>DELETE /v1/models/requests/{id}/payloads</c>, <c>Fal:AdminKey</c>), unless <see cref="MoneyOptions.DeleteFalPayloads"/>
/// is off. The reference images uploaded to fal's storage stay until their own lifetime (<c>Fal:UploadLifetime</c>) ends:
/// fal's deletion never removes inputs. True when fal was asked; a refusal is logged and leaves fal's retention to act.
/// </summary>
public sealed partial class DeleteFalPayloads(FalPlatformClient platform, IOptions<MoneyOptions> options, ILogger<DeleteFalPayloads> logger) : TaskActivity<FalJob, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, FalJob input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!options.Value.DeleteFalPayloads || !platform.HasAdminKey)
        {
            return false;
        }

        try
        {
            // One key per request: fal answers a retry of the same deletion from its cache instead of deleting again.
            var deletion = await platform.DeletePayloadsAsync(input.RequestId, $"veo-delete-{input.RequestId}", CancellationToken.None).ConfigureAwait(false);
            if (!deletion.AllFilesDeleted)
            {
                Log.FilesKept(logger, input.RequestId, string.Join("; ", deletion.Files.Where(f => !f.Deleted).Select(f => f.Exception)));
            }

            return true;
        }
        catch (FalApiException ex) when (!ex.IsTransient)
        {
            Log.Refused(logger, input.RequestId, ex.Message);
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(7301, LogLevel.Warning, "fal refused to delete the payloads of request {RequestId}; fal's retention applies: {Problem}")]
        public static partial void Refused(ILogger logger, string requestId, string problem);

        [LoggerMessage(7302, LogLevel.Warning, "fal deleted the payloads of request {RequestId} but kept some files: {Problems}")]
        public static partial void FilesKept(ILogger logger, string requestId, string problems);
    }
}
