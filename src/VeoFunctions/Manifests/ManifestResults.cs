using System.Net;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using VeoFunctions.Jobs;
using VeoFunctions.Storage;

namespace VeoFunctions.Manifests;

/// <summary>
/// Writes the files beside a manifest: the error file for a manifest that cannot start, and the result file its
/// jobs update as they end. Jobs of a batch end concurrently, so each update is a conditional write on the file's
/// ETag, read again and redone when another job got there first.
/// </summary>
public sealed class ManifestResults(BlobContainers containers, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task WriteErrorsAsync(string manifest, string etag, IReadOnlyList<ManifestProblem> problems, CancellationToken cancellationToken)
    {
        var file = new ManifestErrors(manifest, etag, time.GetUtcNow(), problems);
        await containers.Jobs().GetBlobClient(ManifestFiles.ErrorName(manifest)).UploadAsync(
            BinaryData.FromObjectAsJson(file, Json), new BlobUploadOptions { HttpHeaders = JsonHeaders }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the result file of this version of the manifest, all jobs running. One already there for this version
    /// (a redelivered event) is kept as it is: its jobs may have ended meanwhile.
    /// </summary>
    public async Task StartAsync(string manifest, string etag, IReadOnlyList<ManifestResultJob> jobs, CancellationToken cancellationToken)
    {
        var blob = containers.Jobs().GetBlobClient(ManifestFiles.ResultName(manifest));
        var (existing, existingETag) = await ReadAsync(blob, cancellationToken).ConfigureAwait(false);
        if (existing?.ETag == etag)
        {
            return;
        }

        var now = time.GetUtcNow();
        var file = new ManifestResult(manifest, etag, now, now, ManifestCounts.Of(jobs), jobs);
        await TryWriteAsync(blob, file, existingETag, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records how a job ended in its manifest's result file.</summary>
    public async Task RecordEndAsync(ManifestEntry entry, JobStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(status);
        var blob = containers.Jobs().GetBlobClient(ManifestFiles.ResultName(entry.BlobName));
        while (true)
        {
            var (file, etag) = await ReadAsync(blob, cancellationToken).ConfigureAwait(false);
            if (file?.Jobs.Any(job => job.JobId == status.JobId) != true)
            {
                return; // gone, or replaced by a newer version of the manifest: this job is no longer in it
            }

            var jobs = file.Jobs.Select(job => job.JobId == status.JobId
                ? job with { Phase = status.Phase, Video = status.Video, Error = status.Error, Note = status.Note, EndedAt = status.LastUpdatedAt, Cost = status.Cost ?? job.Cost }
                : job).ToList();
            var updated = file! with { UpdatedAt = time.GetUtcNow(), Counts = ManifestCounts.Of(jobs), Jobs = jobs };
            if (await TryWriteAsync(blob, updated, etag, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 50)), time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<(ManifestResult? File, ETag? ETag)> ReadAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            var content = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return (content.Value.Content.ToObjectFromJson<ManifestResult>(Json), content.Value.Details.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return (null, null);
        }
    }

    private static async Task<bool> TryWriteAsync(BlobClient blob, ManifestResult file, ETag? etag, CancellationToken cancellationToken)
    {
        try
        {
            await blob.UploadAsync(BinaryData.FromObjectAsJson(file, Json), new BlobUploadOptions
            {
                HttpHeaders = JsonHeaders,
                Conditions = etag is { } match ? new BlobRequestConditions { IfMatch = match } : new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
        {
            return false;
        }
    }

    private static BlobHttpHeaders JsonHeaders => new() { ContentType = "application/json" };
}
