using System.Globalization;
using System.Net;
using Azure;
using Azure.Storage.Blobs.Models;

namespace VeoFunctions.Storage;

/// <summary>
/// Every job's id under its start time, newest first, for listing: an empty blob
/// <c>index/{DateTimeOffset.MaxValue.Ticks - startTicks:D19}-{jobId}</c> in the work container, written just before
/// the job is scheduled. Blob listings come in name order, so the index's order is the jobs' order across pages,
/// which the durable instance query's pages are not.
/// </summary>
/// <remarks>
/// An entry may name a job that never started (its starter failed before scheduling) or whose start was taken over
/// by another starter under a later time: readers check the entry against the job (<see cref="Jobs.JobListing"/>).
/// Entries live outside the <c>staged/</c> prefix the lifecycle rule deletes, and are kept.
/// </remarks>
public sealed class JobIndex(BlobContainers containers)
{
    /// <summary>The work container's prefix for index entries.</summary>
    public const string Prefix = "index/";

    /// <summary>Set once jobs started before the index existed have been added (<see cref="Jobs.JobListing"/>).</summary>
    public const string BackfilledMarker = "index.backfilled";

    private const int TicksDigits = 19;

    /// <summary>The entry's name for a job started at <paramref name="startedAt"/>.</summary>
    public static string EntryName(string jobId, DateTimeOffset startedAt) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{DateTimeOffset.MaxValue.UtcTicks - startedAt.UtcTicks:D19}-{jobId}");

    /// <summary>Adds the job's entry; adding the same entry again changes nothing.</summary>
    public async Task AddAsync(string jobId, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        try
        {
            await container.GetBlobClient(EntryName(jobId, startedAt)).UploadAsync(
                BinaryData.Empty,
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            // Already there: a retried start, or the backfill meeting the scheduler.
        }
    }

    /// <summary>
    /// One page of entries, newest first, from where <paramref name="continuationToken"/> (the blob listing's own)
    /// left off; at most <paramref name="size"/>. Names that are not entries are passed over.
    /// </summary>
    public async Task<IndexPage> ReadAsync(string? continuationToken, int size, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        var pages = container.GetBlobsAsync(new GetBlobsOptions { Prefix = Prefix }, cancellationToken).AsPages(continuationToken, size);
        await foreach (var page in pages.ConfigureAwait(false))
        {
            var entries = page.Values.Select(blob => Parse(blob.Name)).OfType<IndexEntry>().ToList();
            return new IndexPage(entries, string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
        }

        return new IndexPage([], null);
    }

    /// <summary>Whether the backfill of older jobs is done.</summary>
    public async Task<bool> IsBackfilledAsync(CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        return await container.GetBlobClient(BackfilledMarker).ExistsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records that the backfill of older jobs is done.</summary>
    public async Task MarkBackfilledAsync(CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        await container.GetBlobClient(BackfilledMarker).UploadAsync(BinaryData.Empty, overwrite: true, cancellationToken).ConfigureAwait(false);
    }

    private static IndexEntry? Parse(string name)
    {
        // index/{19 digits}-{jobId}
        int digits = Prefix.Length;
        if (name.Length <= digits + TicksDigits + 1 || name[digits + TicksDigits] != '-'
            || !long.TryParse(name.AsSpan(digits, TicksDigits), NumberStyles.None, CultureInfo.InvariantCulture, out long inverted)
            || inverted is < 0 || inverted > DateTimeOffset.MaxValue.UtcTicks)
        {
            return null;
        }

        string jobId = name[(digits + TicksDigits + 1)..];
        return Jobs.JobIds.IsWellFormed(jobId) ? new IndexEntry(jobId, new DateTimeOffset(DateTimeOffset.MaxValue.UtcTicks - inverted, TimeSpan.Zero)) : null;
    }
}

/// <summary>A job in the index: its id and when it was started.</summary>
public sealed record IndexEntry(string JobId, DateTimeOffset StartedAt);

/// <summary>Entries newest first, and the token of the next page (null at the end).</summary>
public sealed record IndexPage(IReadOnlyList<IndexEntry> Entries, string? ContinuationToken);
