using System.Net;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using VeoFunctions.Storage;

namespace VeoFunctions.Money;

/// <summary>
/// Makes starting a job under a caller-chosen id atomic: of concurrent starts (the same Idempotency-Key
/// posted twice at once, an event delivered twice), exactly one creates the claim blob and starts the job.
/// "Does the instance exist?" alone cannot do this: two requests can both see "no" and both start.
/// </summary>
/// <remarks>
/// Claims live under <c>claims/</c> in the work container, outside the <c>staged/</c> prefix the storage lifecycle
/// rule deletes, and are kept: they must outlive the orchestration history. A claim is a small JSON document
/// (<c>{"fingerprint","claimedAt","startedAt","attempt","scheduling"}</c>).
/// <para>
/// Every write after the create is conditional on the ETag its writer read, which fences a starter that stalled: once
/// another starter has taken its claim over (or given that back), it can no longer mark, give back, or schedule
/// (<see cref="BeginSchedulingAsync"/>).
/// </para>
/// </remarks>
public sealed class JobClaims(BlobContainers containers, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Where a job id's claim lives.</summary>
    public static string BlobName(string jobId) => $"claims/{jobId}";

    /// <summary>
    /// Where the previous release kept a claim: the fingerprint as plain text. Still read, so a job claimed before
    /// an upgrade is found after it.
    /// </summary>
    public static string LegacyBlobName(string jobId) => $"{jobId}/claim";

    /// <summary>Claims <paramref name="jobId"/> for the request <paramref name="fingerprint"/>, or returns the claim that came first.</summary>
    public async Task<JobClaim> ClaimAsync(string jobId, string fingerprint, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        if (await ReadLegacyAsync(container, jobId, cancellationToken).ConfigureAwait(false) is { } legacy)
        {
            return legacy;
        }

        var blob = container.GetBlobClient(BlobName(jobId));
        var document = new ClaimDocument(fingerprint, time.GetUtcNow(), null, Guid.NewGuid().ToString("N"));
        try
        {
            var created = await blob.UploadAsync(
                BinaryData.FromObjectAsJson(document, Json),
                new BlobUploadOptions
                {
                    Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                },
                cancellationToken).ConfigureAwait(false);
            return new JobClaim(true, fingerprint, document.ClaimedAt, false, created.Value.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            // A create the SDK re-sent after a lost answer meets itself: the attempt nonce says the claim is ours.
            var (existing, attempt) = await ReadAsync(blob, cancellationToken).ConfigureAwait(false);
            return attempt == document.Attempt ? existing with { Won = true } : existing;
        }
    }

    /// <summary>The claim on <paramref name="jobId"/>, if there is one; creates nothing.</summary>
    public async Task<JobClaim?> FindAsync(string jobId, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        try
        {
            return (await ReadAsync(container.GetBlobClient(BlobName(jobId)), cancellationToken).ConfigureAwait(false)).Claim;
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return await ReadLegacyAsync(container, jobId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Records that the claim's job was scheduled. Conditional on the claim's ETag: the only other writer of a claim
    /// is another starter marking it started too, so a mismatch means that is done already.
    /// </summary>
    public async Task MarkStartedAsync(string jobId, JobClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (claim.Started)
        {
            return;
        }

        var container = await containers.WorkAsync().ConfigureAwait(false);
        try
        {
            await container.GetBlobClient(BlobName(jobId)).UploadAsync(
                BinaryData.FromObjectAsJson(new ClaimDocument(claim.Fingerprint, claim.ClaimedAt, time.GetUtcNow(), null), Json),
                new BlobUploadOptions
                {
                    Conditions = new BlobRequestConditions { IfMatch = claim.ETag },
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.PreconditionFailed)
        {
            // Marked by the other starter in the meantime.
        }
    }

    /// <summary>
    /// Gives back an unstarted claim whose job certainly did not start (the day's budget had no room, the start failed
    /// before scheduling), so the same id may start it later; never one that went on to schedule (its job may exist).
    /// Conditional on the claim's ETag: a claim that changed meanwhile (another starter took it over) is not ours to
    /// delete. True when it is gone: from then on no other start can be relying on this one.
    /// </summary>
    public async Task<bool> ReleaseAsync(string jobId, JobClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (claim.Started || claim.Scheduling)
        {
            return false;
        }

        var container = await containers.WorkAsync().ConfigureAwait(false);
        try
        {
            await container.GetBlobClient(BlobName(jobId)).DeleteIfExistsAsync(conditions: new BlobRequestConditions { IfMatch = claim.ETag }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.PreconditionFailed)
        {
            return false; // changed by another starter: theirs now
        }
    }

    /// <summary>
    /// Takes over an unstarted claim whose starter seems to have died: rewritten under its ETag with a new claim time, so
    /// of several starters taking it over one wins, and the old starter, should it still be alive, can neither mark nor
    /// give back what is no longer its claim. Null when another starter changed it first. A claim whose starter had gone
    /// on to schedule stays so: its job may still appear, so the taker does not give it back either.
    /// </summary>
    public async Task<JobClaim?> TakeOverAsync(string jobId, JobClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return await RewriteAsync(jobId, claim, claim.Scheduling, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The fence on the schedule call: right before it schedules, a starter rewrites its claim, under the ETag it holds,
    /// as scheduling, with a new claim time (so a retry waits <c>JobScheduler.AbandonedClaimAfter</c> again before it
    /// takes over). Null when the claim is no longer this starter's (another took it over, and may have given it back):
    /// then it must not schedule.
    /// </summary>
    public async Task<JobClaim?> BeginSchedulingAsync(string jobId, JobClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return claim.Started ? claim : await RewriteAsync(jobId, claim, scheduling: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<JobClaim?> RewriteAsync(string jobId, JobClaim claim, bool scheduling, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        var document = new ClaimDocument(claim.Fingerprint, time.GetUtcNow(), null, Guid.NewGuid().ToString("N"), scheduling);
        try
        {
            var written = await container.GetBlobClient(BlobName(jobId)).UploadAsync(
                BinaryData.FromObjectAsJson(document, Json),
                new BlobUploadOptions
                {
                    Conditions = new BlobRequestConditions { IfMatch = claim.ETag },
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                },
                cancellationToken).ConfigureAwait(false);
            return new JobClaim(true, claim.Fingerprint, document.ClaimedAt, false, written.Value.ETag, scheduling);
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task<(JobClaim Claim, string? Attempt)> ReadAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        var content = (await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value;
        var document = content.Content.ToObjectFromJson<ClaimDocument>(Json)
            ?? throw new InvalidDataException($"The claim {blob.Name} is empty.");
        return (new JobClaim(false, document.Fingerprint, document.ClaimedAt, document.StartedAt is not null, content.Details.ETag, document.Scheduling), document.Attempt);
    }

    private static async Task<JobClaim?> ReadLegacyAsync(BlobContainerClient container, string jobId, CancellationToken cancellationToken)
    {
        try
        {
            var content = (await container.GetBlobClient(LegacyBlobName(jobId)).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value;

            // The previous release wrote its claim moments before scheduling and never marked it, so it is taken as
            // started: a key stuck on a starter that died in those moments is cheaper than a job paid for twice.
            return new JobClaim(false, content.Content.ToString(), content.Details.LastModified, Started: true, content.Details.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    // Scheduling defaults to false for claims written before the fence existed.
    private sealed record ClaimDocument(string Fingerprint, DateTimeOffset ClaimedAt, DateTimeOffset? StartedAt, string? Attempt, bool Scheduling = false);
}
