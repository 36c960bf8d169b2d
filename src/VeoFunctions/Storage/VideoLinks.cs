using Azure;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Jobs;

namespace VeoFunctions.Storage;

/// <summary>
/// Download links for archived videos: a read-only SAS for the one blob, valid for Storage:DownloadLinkLifetime.
/// With a connection string (Azurite, local runs) it is a service SAS signed with the account key; with
/// Storage:BlobServiceUri (Azure) a user delegation SAS signed with a key the app's managed identity obtains, so no
/// account key is needed anywhere. Links are made when a status is served and never stored.
/// </summary>
/// <remarks>
/// One user delegation key serves every link of the process (Azure allows a key up to 7 days); it is replaced once it
/// would expire before a new link does. A failed key request is not kept: the next link asks again.
/// </remarks>
public sealed partial class VideoLinks(BlobServiceClient service, IOptions<StorageOptions> options, TimeProvider time, ILogger<VideoLinks> logger)
{
    /// <summary>How long each user delegation key is requested for: well inside Azure's 7 days, and past any link's lifetime.</summary>
    public static readonly TimeSpan KeyLifetime = TimeSpan.FromDays(2);

    // The key's start is set back by this much, so a clock slightly ahead of the storage service's is harmless.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private readonly Lock _gate = new();
    private Task<UserDelegationKey>? _key;

    /// <summary>The video with a fresh download link; null (logged) when storage would not give one now.</summary>
    public async Task<ArchivedVideo?> LinkAsync(ArchivedVideo video, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(video);
        var expiresAt = time.GetUtcNow() + options.Value.DownloadLinkLifetime;
        var blob = service.GetBlobContainerClient(video.Container).GetBlobClient(video.BlobName);
        var sas = new BlobSasBuilder(BlobSasPermissions.Read, expiresAt)
        {
            BlobContainerName = video.Container,
            BlobName = video.BlobName,
            Resource = "b",
            Protocol = blob.Uri.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        };
        try
        {
            var url = blob.CanGenerateSasUri
                ? blob.GenerateSasUri(sas)
                : blob.GenerateUserDelegationSasUri(sas, await KeyAsync(expiresAt).WaitAsync(cancellationToken).ConfigureAwait(false));
            return video with { DownloadUrl = url, DownloadUrlExpiresAt = expiresAt };
        }
        catch (Exception ex) when (ex is RequestFailedException or AuthenticationFailedException)
        {
            // Most often the identity's role assignment is still propagating after a deploy; the status is served without it.
            Log.NoLink(logger, video.BlobName, ex.Message, ex);
            return null;
        }
    }

    /// <summary>The status with a download link on its video, if it has a video and a link can be made now.</summary>
    public async Task<JobStatus> WithLinkAsync(JobStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status.Video is { } video && await LinkAsync(video, cancellationToken).ConfigureAwait(false) is { } linked
            ? status with { Video = linked }
            : status;
    }

    private Task<UserDelegationKey> KeyAsync(DateTimeOffset neededUntil)
    {
        lock (_gate)
        {
            if (_key is null || _key.IsFaulted || _key.IsCanceled || (_key.IsCompletedSuccessfully && _key.Result.SignedExpiresOn < neededUntil))
            {
                // On the pool, with no caller's token: concurrent callers share the request, and one caller giving up
                // does not fail it for the others.
                var now = time.GetUtcNow();
                var request = new BlobGetUserDelegationKeyOptions(now + KeyLifetime) { StartsOn = now - ClockSkew };
                _key = Task.Run(async () => (await service.GetUserDelegationKeyAsync(request).ConfigureAwait(false)).Value);
            }

            return _key;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2301, LogLevel.Warning, "No download link for {BlobName}: {Reason}")]
        public static partial void NoLink(ILogger logger, string blobName, string reason, Exception exception);
    }
}
