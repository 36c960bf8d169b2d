using System.Net;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Jobs;
using VeoFunctions.Storage;

namespace VeoFunctions.Manifests;

/// <summary>
/// Writes the files beside a manifest: the error file for a manifest that cannot start, and the result file that
/// lists every job the manifest's name ever started, across versions.
/// </summary>
/// <remarks>
/// The truth is one small record per job in the work container (<c>manifests/{container}/{name}/jobs/{jobId}.json</c>):
/// a job's end writes its own record, O(1) whatever the batch's size, and never contends with its siblings. The result
/// file is a view rebuilt from the records by one refresher at a time (a lease on a lock blob): it merges only the
/// records whose ETag changed since its last merge (kept in a private state blob beside them) and publishes the file.
/// A burst of job ends collapses into a few refreshes: an end that finds the lease taken marks the manifest dirty and
/// leaves, and the holder refreshes again when the mark changed while it worked. The app never reads the published
/// file, so a foreign, corrupt or huge one cannot stall a job: it is replaced (and logged).
/// </remarks>
public sealed partial class ManifestResults(BlobContainers containers, IOptions<JobOptions> options, TimeProvider time, ILogger<ManifestResults> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static readonly JsonSerializerOptions Compact = new(JsonSerializerDefaults.Web);

    /// <summary>Marks a result file as the app's own, so one written by anyone else is noticed when it is replaced.</summary>
    internal const string OwnMarker = "veoresult";

    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(60);

    private const int ReadConcurrency = 16;

    /// <summary>Where a job's status is asked for, as the result file names it.</summary>
    public Uri StatusUrl(string jobId) => new($"{options.Value.PublicBaseUrl.AbsoluteUri.TrimEnd('/')}/api/videos/{jobId}");

    public async Task WriteErrorsAsync(string manifest, string etag, IReadOnlyList<ManifestProblem> problems, CancellationToken cancellationToken)
    {
        var file = new ManifestErrors(manifest, etag, time.GetUtcNow(), problems);
        await containers.Jobs().GetBlobClient(ManifestFiles.ErrorName(manifest)).UploadAsync(
            BinaryData.FromObjectAsJson(file, Json), new BlobUploadOptions { HttpHeaders = JsonHeaders }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records the jobs an intake of version <paramref name="version"/> is starting, each as running unless it has a
    /// record already (an unchanged entry, a redelivery: its job may have ended meanwhile), and refreshes the file.
    /// </summary>
    public async Task StartAsync(string container, string manifest, string version, IReadOnlyList<ManifestResultJob> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var work = await containers.WorkAsync().ConfigureAwait(false);
        await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = ReadConcurrency, CancellationToken = cancellationToken }, async (job, ct) =>
        {
            try
            {
                await work.GetBlobClient(RecordName(container, manifest, job.JobId)).UploadAsync(BinaryData.FromObjectAsJson(job, Compact),
                    new BlobUploadOptions { HttpHeaders = JsonHeaders, Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, ct).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
            {
                // Recorded by an earlier intake: its state stands.
            }
        }).ConfigureAwait(false);

        await RefreshAsync(container, manifest, version, leaseId: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records how a job ended (O(1): its own record), then brings the result file up to date.</summary>
    public async Task RecordEndAsync(ManifestEntry entry, JobStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(status);
        var work = await containers.WorkAsync().ConfigureAwait(false);
        var record = work.GetBlobClient(RecordName(entry.Container, entry.BlobName, status.JobId));
        while (true)
        {
            var (job, etag) = await ReadRecordAsync(record, cancellationToken).ConfigureAwait(false);

            // A job of the previous release has no record: it is made from what the job knows.
            job ??= new ManifestResultJob(entry.Index, entry.Id, status.JobId, StatusUrl(status.JobId), "running", StartedAt: status.CreatedAt);
            var ended = job with { Phase = status.Phase, Video = status.Video, Error = status.Error, Note = status.Note, EndedAt = status.LastUpdatedAt, Cost = status.Cost ?? job.Cost };
            try
            {
                await record.UploadAsync(BinaryData.FromObjectAsJson(ended, Compact), new BlobUploadOptions
                {
                    HttpHeaders = JsonHeaders,
                    Conditions = etag is { } match ? new BlobRequestConditions { IfMatch = match } : new BlobRequestConditions { IfNoneMatch = ETag.All },
                }, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
            {
                // Its intake created the record just now: read it again.
            }
        }

        await RefreshAsync(entry.Container, entry.BlobName, version: null, LeaseIdFor(status.JobId), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Brings the result file up to date with the records, unless another refresher holds the lease (it will see this
    /// call's records: they were written before the dirty mark it checks after releasing).
    /// </summary>
    /// <param name="leaseId">Fixed for a job's end, so the durable retry of an end that crashed holding the lease takes it again at once.</param>
    public async Task RefreshAsync(string container, string manifest, string? version, string? leaseId, CancellationToken cancellationToken)
    {
        var work = await containers.WorkAsync().ConfigureAwait(false);
        var dirty = work.GetBlobClient(Prefix(container, manifest) + "dirty");
        await dirty.UploadAsync(BinaryData.FromString(Guid.NewGuid().ToString("N")), overwrite: true, cancellationToken).ConfigureAwait(false);

        var lockBlob = work.GetBlobClient(Prefix(container, manifest) + "lock");
        var lease = lockBlob.GetBlobLeaseClient(leaseId ?? Guid.NewGuid().ToString());
        while (true)
        {
            if (!await TryAcquireAsync(lockBlob, lease, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            ETag mark;
            try
            {
                mark = (await dirty.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.ETag;
                await RebuildAsync(work, container, manifest, version, cancellationToken).ConfigureAwait(false);
                version = null;
            }
            finally
            {
                await ReleaseAsync(lease).ConfigureAwait(false);
            }

            // A job that ended while this one rebuilt marked the manifest dirty after writing its record, then found the
            // lease taken and left: its record is merged by going round again (or by whoever holds the lease now).
            if ((await dirty.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.ETag == mark)
            {
                return;
            }
        }
    }

    private async Task RebuildAsync(BlobContainerClient work, string container, string manifest, string? version, CancellationToken cancellationToken)
    {
        string prefix = Prefix(container, manifest);
        var stateBlob = work.GetBlobClient(prefix + "state.json");
        var state = await ReadStateAsync(stateBlob, cancellationToken).ConfigureAwait(false) ?? new State(version, time.GetUtcNow(), []);
        var known = new ConcurrentDictionary<string, StateJob>(state.Jobs.Select(j => KeyValuePair.Create(j.Job.JobId, j)), StringComparer.Ordinal);

        var changed = new List<BlobClient>();
        await foreach (var item in work.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix + "jobs/", cancellationToken).ConfigureAwait(false))
        {
            string jobId = Path.GetFileNameWithoutExtension(item.Name);
            if (!known.TryGetValue(jobId, out var merged) || merged.RecordETag != item.Properties.ETag?.ToString())
            {
                changed.Add(work.GetBlobClient(item.Name));
            }
        }

        await Parallel.ForEachAsync(changed, new ParallelOptions { MaxDegreeOfParallelism = ReadConcurrency, CancellationToken = cancellationToken }, async (record, ct) =>
        {
            var (job, etag) = await ReadRecordAsync(record, ct).ConfigureAwait(false);
            if (job is not null)
            {
                known[job.JobId] = new StateJob(etag.ToString()!, job);
            }
        }).ConfigureAwait(false);

        if (changed.Count == 0 && (version is null || version == state.Version) && state.Published)
        {
            return;
        }

        var jobs = known.Values.OrderBy(j => j.Job.StartedAt).ThenBy(j => j.Job.Index).ThenBy(j => j.Job.JobId, StringComparer.Ordinal).ToList();
        state = new State(version ?? state.Version, state.CreatedAt, jobs);
        await stateBlob.UploadAsync(BinaryData.FromObjectAsJson(state with { Published = false }, Compact), overwrite: true, cancellationToken).ConfigureAwait(false);
        await PublishAsync(manifest, state, cancellationToken).ConfigureAwait(false);
        await stateBlob.UploadAsync(BinaryData.FromObjectAsJson(state with { Published = true }, Compact), overwrite: true, cancellationToken).ConfigureAwait(false);
    }

    // Written, never read: whatever is there (a pipeline's own file, a corrupt or 50 MB one) is replaced, and noted.
    private async Task PublishAsync(string manifest, State state, CancellationToken cancellationToken)
    {
        var blob = containers.Jobs().GetBlobClient(ManifestFiles.ResultName(manifest));
        var jobs = state.Jobs.Select(j => j.Job).ToList();
        var file = new ManifestResult(manifest, state.Version ?? "", state.CreatedAt, time.GetUtcNow(), ManifestCounts.Of(jobs), jobs);
        try
        {
            var existing = await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!existing.Value.Metadata.ContainsKey(OwnMarker))
            {
                Log.ForeignReplaced(logger, manifest, existing.Value.ContentLength);
            }
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            // The first one.
        }

        try
        {
            await blob.UploadAsync(BinaryData.FromObjectAsJson(file, Json), new BlobUploadOptions
            {
                HttpHeaders = JsonHeaders,
                Metadata = new Dictionary<string, string> { [OwnMarker] = "1" },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is >= 400 and < 500)
        {
            // The pipeline holds a lease on it, or made it unwritable: the records keep the truth, the next refresh tries again.
            Log.PublishRefused(logger, manifest, ex.Status, ex.ErrorCode);
        }
    }

    private static async Task ReleaseAsync(BlobLeaseClient lease)
    {
        try
        {
            await lease.ReleaseAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
        {
            // It expired and another refresher took it: nothing to give back.
        }
    }

    private static async Task<bool> TryAcquireAsync(BlobClient lockBlob, BlobLeaseClient lease, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                await lease.AcquireAsync(LeaseDuration, cancellationToken: cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
            {
                return false; // held by another refresher
            }
            catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound && attempt == 0)
            {
                try
                {
                    await lockBlob.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
                }
                catch (RequestFailedException created) when (created.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
                {
                    // Another refresher made it.
                }
            }
        }

        return false;
    }

    /// <summary>The job's record, if its manifest has one for it.</summary>
    public async Task<ManifestResultJob?> FindRecordAsync(string container, string manifest, string jobId, CancellationToken cancellationToken)
    {
        var work = await containers.WorkAsync().ConfigureAwait(false);
        return (await ReadRecordAsync(work.GetBlobClient(RecordName(container, manifest, jobId)), cancellationToken).ConfigureAwait(false)).Job;
    }

    private static async Task<(ManifestResultJob? Job, ETag? ETag)> ReadRecordAsync(BlobClient record, CancellationToken cancellationToken)
    {
        try
        {
            var content = (await record.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value;
            return (content.Content.ToObjectFromJson<ManifestResultJob>(Compact), content.Details.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return (null, null);
        }
    }

    private static async Task<State?> ReadStateAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            return (await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToObjectFromJson<State>(Compact);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Where a manifest's records live: the work container, private to the app.</summary>
    public static string Prefix(string container, string manifest) => $"manifests/{container}/{manifest}/";

    public static string RecordName(string container, string manifest, string jobId) => $"{Prefix(container, manifest)}jobs/{jobId}.json";

    // A lease id is a GUID; this one is the job's own.
    private static string LeaseIdFor(string jobId) => new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(jobId)).AsSpan(0, 16)).ToString();

    private static BlobHttpHeaders JsonHeaders => new() { ContentType = "application/json" };

    /// <summary>What the last refresh merged: each job with the ETag of the record it came from.</summary>
    private sealed record State(string? Version, DateTimeOffset CreatedAt, List<StateJob> Jobs, bool Published = false);

    private sealed record StateJob(string RecordETag, ManifestResultJob Job);

    private static partial class Log
    {
        [LoggerMessage(6010, LogLevel.Warning, "Manifest {Manifest}: its result file was not the app's ({Bytes} bytes, written by someone else, corrupt or foreign); replaced with the app's")]
        public static partial void ForeignReplaced(ILogger logger, string manifest, long bytes);

        [LoggerMessage(6011, LogLevel.Warning, "Manifest {Manifest}: its result file could not be written ({Status} {Code}); the jobs' records keep their outcomes and the next refresh tries again")]
        public static partial void PublishRefused(ILogger logger, string manifest, int status, string? code);
    }
}
