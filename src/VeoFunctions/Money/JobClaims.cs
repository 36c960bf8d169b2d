using System.Net;
using Azure;
using Azure.Storage.Blobs.Models;
using VeoFunctions.Storage;

namespace VeoFunctions.Money;

/// <summary>Who claimed a job id first, and for which request.</summary>
public sealed record JobClaim(bool Won, string Fingerprint, DateTimeOffset ClaimedAt);

/// <summary>
/// Makes starting a job under a caller-chosen id atomic: of concurrent starts (the same Idempotency-Key
/// posted twice at once, an event delivered twice), exactly one creates the claim blob and starts the job.
/// "Does the instance exist?" alone cannot do this: two requests can both see "no" and both start.
/// </summary>
public sealed class JobClaims(BlobContainers containers)
{
    public async Task<JobClaim> ClaimAsync(string jobId, string fingerprint, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        var blob = container.GetBlobClient($"{jobId}/claim");
        try
        {
            var created = await blob.UploadAsync(
                BinaryData.FromString(fingerprint),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken).ConfigureAwait(false);
            return new JobClaim(true, fingerprint, created.Value.LastModified);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            var existing = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return new JobClaim(false, existing.Value.Content.ToString(), existing.Value.Details.LastModified);
        }
    }
}
