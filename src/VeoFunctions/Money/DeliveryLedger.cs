using System.Net;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using VeoFunctions.Jobs;
using VeoFunctions.Storage;

namespace VeoFunctions.Money;

/// <summary>
/// Where a job's end meets fal's deliveries, so a video fal made and billed is archived exactly once. Every verified
/// successful delivery is written here, and a job that ends without its video closes here; both are conditional
/// writes of one blob, <c>ledger/{jobId}/delivery.json</c>. Whichever comes second sees the other: a close that finds
/// a delivery archives it, and a delivery that finds the job closed claims the job's one salvage run. This holds
/// whatever a durable backend does with an event raised on an ended instance (the in-process engine drops it, the
/// Functions host on Azure Storage throws).
/// </summary>
public sealed class DeliveryLedger(BlobContainers containers)
{
    /// <summary>
    /// Closes the job without a video, keeping what a salvage run would need. Returns the successful delivery already
    /// on record instead, if there is one: then the job must archive it.
    /// </summary>
    public async Task<FalWebhookEvent?> CloseWithoutVideoAsync(ArchivePlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        while (true)
        {
            var (record, etag) = await ReadAsync(plan.JobId, cancellationToken).ConfigureAwait(false);
            if (record?.ClosedWith is not null)
            {
                // Closed already (this close run again: a retried activity, a write retried after it landed). A
                // delivery since then belongs to the salvage run it claimed; returning it would archive twice.
                return null;
            }

            if (record?.Delivered is { Ok: true } delivered)
            {
                return delivered;
            }

            if (await TryWriteAsync(plan.JobId, (record ?? DeliveryRecord.Empty) with { ClosedWith = plan }, etag, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Records a verified delivery. When the job has closed without its video (here, or, for a job of the first
    /// release, as <paramref name="endedWithout"/> says), the first successful delivery claims the salvage run: the
    /// answer then carries the plan to start it from. Every later call sees the claim and gets the same answer, so a
    /// caller that died before starting the run is followed by one that starts it; only the first is told it
    /// <see cref="SalvageClaim.Won"/> the claim.
    /// </summary>
    public async Task<SalvageClaim?> RecordAsync(string jobId, FalWebhookEvent delivered, ArchivePlan? endedWithout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivered);
        if (!delivered.Ok)
        {
            return null; // a failure leaves nothing to archive
        }

        while (true)
        {
            var (record, etag) = await ReadAsync(jobId, cancellationToken).ConfigureAwait(false);
            var current = record ?? DeliveryRecord.Empty;
            var kept = current.Delivered is { Ok: true } earlier ? earlier : delivered;
            var closed = current.ClosedWith ?? endedWithout;
            if (closed is null)
            {
                if (current.Delivered is { Ok: true } || await TryWriteAsync(jobId, current with { Delivered = kept }, etag, cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }
            }
            else if (current.SalvageClaimed)
            {
                return new SalvageClaim(closed, current.Delivered ?? kept, Won: false);
            }
            else if (await TryWriteAsync(jobId, new DeliveryRecord(kept, closed, SalvageClaimed: true), etag, cancellationToken).ConfigureAwait(false))
            {
                return new SalvageClaim(closed, kept, Won: true);
            }
        }
    }

    /// <summary>
    /// Claims salvage round <paramref name="round"/> (2 or more) for a resume of a job whose previous round ended failed
    /// out of its archive. The record names the latest round claimed, so of concurrent resumes one wins it (and starts
    /// its run) and the others are told it is taken; a round is claimed only right after the one before it, so at most
    /// one run of a job archives at a time. Null when no salvage run was ever claimed, or a later round already was.
    /// </summary>
    public async Task<SalvageClaim?> ClaimRoundAsync(string jobId, int round, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(round, 2);
        while (true)
        {
            var (record, etag) = await ReadAsync(jobId, cancellationToken).ConfigureAwait(false);
            if (record is not { SalvageClaimed: true, ClosedWith: { } closed, Delivered: { } delivered })
            {
                return null;
            }

            int claimed = record.Round ?? 1;
            if (claimed != round - 1)
            {
                // Taken by a concurrent resume (its winner starts the run), or the caller's view of the rounds is stale.
                return claimed == round ? new SalvageClaim(closed, delivered, Won: false) : null;
            }

            if (await TryWriteAsync(jobId, record with { Round = round }, etag, cancellationToken).ConfigureAwait(false))
            {
                return new SalvageClaim(closed, delivered, Won: true);
            }
        }
    }

    private async Task<(DeliveryRecord? Record, ETag? ETag)> ReadAsync(string jobId, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        try
        {
            var content = await container.GetBlobClient(Name(jobId)).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return (content.Value.Content.ToObjectFromJson<DeliveryRecord>(JsonOptions), content.Value.Details.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return (null, null);
        }
    }

    // False when another writer got there first: read again and decide again.
    private async Task<bool> TryWriteAsync(string jobId, DeliveryRecord record, ETag? etag, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        try
        {
            await container.GetBlobClient(Name(jobId)).UploadAsync(
                BinaryData.FromObjectAsJson(record, JsonOptions),
                new BlobUploadOptions { Conditions = etag is { } match ? new BlobRequestConditions { IfMatch = match } : new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
        {
            return false;
        }
    }

    internal static string Name(string jobId) => $"ledger/{jobId}/delivery.json";

    // Round: the latest salvage round claimed (null: the first, as the previous release wrote it).
    private sealed record DeliveryRecord(FalWebhookEvent? Delivered, ArchivePlan? ClosedWith, bool SalvageClaimed, int? Round = null)
    {
        public static DeliveryRecord Empty { get; } = new(null, null, false);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}

