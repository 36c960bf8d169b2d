using System.Net;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using VeoFunctions.Jobs;
using VeoFunctions.Money;
using VeoFunctions.Storage;

namespace VeoFunctions.Manifests;

/// <summary>
/// Finds the jobs the previous releases started for a manifest's entries, so an entry one of them already paid for is
/// not started again under this release's id. Two earlier namings are deployed: by position (with the batch's callback
/// and priority in the fingerprint) and, before it, by the blob's ETag.
/// </summary>
/// <remarks>
/// An entry is looked up two ways. By the ids those releases would give it in this very manifest (its position, and the
/// blob's current ETag): an unchanged manifest redelivered. And by the manifest's name: every job those releases started
/// under it, with the fingerprint its claim keeps, matched by content (each earlier job answers for one entry at most),
/// so an entry inserted or removed, or the same bytes uploaded again under a new ETag, still finds its job. The jobs by
/// name come from what those releases left: a result record per job in the work container (the position release's, also
/// written for an ETag-era job that ended after it was deployed), and the ETag release's own result file beside the
/// manifest while it is still there (it listed each entry's job id). They are gathered once per manifest name into
/// <c>manifests/{container}/{name}/earlier.json</c>: no earlier release adds to them after the upgrade.
/// </remarks>
public sealed partial class EarlierManifestJobs(BlobContainers containers, JobClaims claims, ILogger<EarlierManifestJobs> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const int ReadConcurrency = 16;

    /// <summary>The largest result file of the ETag release that is read for its job ids; a bigger one is not that release's.</summary>
    private const long MaxEarlierResultBytes = 16 * 1024 * 1024;

    /// <summary>For each job, the id of the job an earlier release started for it, or null.</summary>
    public async Task<string?[]> FindAsync(string container, string name, string etag, IReadOnlyList<ManifestJob> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var found = new string?[jobs.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, jobs.Count), Options(cancellationToken), async (i, ct) =>
        {
            foreach (string id in (string[])[ManifestJobIds.ByPositionFor(container, name, jobs[i]), ManifestJobIds.ByETagFor(container, name, etag, jobs[i])])
            {
                if (await claims.FindAsync(id, ct).ConfigureAwait(false) is not null)
                {
                    found[i] = id;
                    return;
                }
            }
        }).ConfigureAwait(false);

        if (found.Any(id => id is null))
        {
            var pool = (await ByNameAsync(container, name, cancellationToken).ConfigureAwait(false)).Where(j => !found.Contains(j.JobId)).ToList();
            for (int i = 0; i < jobs.Count && pool.Count > 0; i++)
            {
                var earlier = jobs[i].Earlier!;
                if (found[i] is null && pool.FindIndex(j => j.Fingerprint == earlier.Canonical || j.Fingerprint == earlier.Raw) is var match and >= 0)
                {
                    found[i] = pool[match].JobId;
                    pool.RemoveAt(match);
                }
            }
        }

        if (found.Any(id => id is not null))
        {
            Log.StartedByEarlierRelease(logger, name, found.Count(id => id is not null));
        }

        return found;
    }

    private async Task<List<EarlierJob>> ByNameAsync(string container, string name, CancellationToken cancellationToken)
    {
        var work = await containers.WorkAsync().ConfigureAwait(false);
        var index = work.GetBlobClient(ManifestResults.Prefix(container, name) + "earlier.json");
        try
        {
            return (await index.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToObjectFromJson<List<EarlierJob>>(Json)!;
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            // The first intake of this name since the upgrade: gathered below.
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        ids.UnionWith(await EarlierRecordsAsync(work, container, name, cancellationToken).ConfigureAwait(false));
        var listed = await ETagReleaseResultAsync(name, cancellationToken).ConfigureAwait(false);
        ids.UnionWith(listed.Select(j => j.JobId));
        var jobs = new System.Collections.Concurrent.ConcurrentBag<EarlierJob>();
        await Parallel.ForEachAsync(ids, Options(cancellationToken), async (id, ct) =>
        {
            if (await claims.FindAsync(id, ct).ConfigureAwait(false) is { } claim)
            {
                jobs.Add(new EarlierJob(id, claim.Fingerprint));
            }
        }).ConfigureAwait(false);

        // The ETag release's file is replaced by this release's at the next refresh: its jobs get records first, so they
        // stay in view (a job that ends later updates its own).
        var started = jobs.Select(j => j.JobId).ToHashSet(StringComparer.Ordinal);
        await Parallel.ForEachAsync(listed.Where(j => started.Contains(j.JobId)), Options(cancellationToken), async (job, ct) =>
        {
            try
            {
                await work.GetBlobClient(ManifestResults.RecordName(container, name, job.JobId)).UploadAsync(BinaryData.FromObjectAsJson(job with { Attempt = null }, Json),
                    new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, ct).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
            {
                // Its own record already (it ended after the upgrade).
            }
        }).ConfigureAwait(false);

        var gathered = jobs.OrderBy(j => j.JobId, StringComparer.Ordinal).ToList();
        try
        {
            await index.UploadAsync(BinaryData.FromObjectAsJson(gathered, Json), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
        {
            // A concurrent delivery gathered the same.
        }

        return gathered;
    }

    // The records of jobs this release did not start: this release's name each attempt, the earlier ones did not.
    private static async Task<List<string>> EarlierRecordsAsync(BlobContainerClient work, string container, string name, CancellationToken cancellationToken)
    {
        var records = new List<BlobClient>();
        await foreach (var item in work.GetBlobsAsync(BlobTraits.None, BlobStates.None, ManifestResults.Prefix(container, name) + "jobs/", cancellationToken).ConfigureAwait(false))
        {
            records.Add(work.GetBlobClient(item.Name));
        }

        var earlier = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(records, Options(cancellationToken), async (record, ct) =>
        {
            try
            {
                var job = (await record.DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content.ToObjectFromJson<ManifestResultJob>(Json);
                if (job is { Attempt: null } && JobIds.IsWellFormed(job.JobId))
                {
                    earlier.Add(job.JobId);
                }
            }
            catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
            {
                // Gone meanwhile.
            }
        }).ConfigureAwait(false);
        return [.. earlier];
    }

    // The ETag release's result file listed each entry of the version it served last, with its job id. The file may be
    // anyone's by now (the pipeline can write there): only well-formed ids are taken, and each counts only if its claim
    // exists and its fingerprint is an entry's, so a foreign file finds nothing.
    private async Task<List<ManifestResultJob>> ETagReleaseResultAsync(string name, CancellationToken cancellationToken)
    {
        var blob = containers.Jobs().GetBlobClient(ManifestFiles.ResultName(name));
        try
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            if (properties.Metadata.ContainsKey(ManifestResults.OwnMarker) || properties.ContentLength > MaxEarlierResultBytes)
            {
                return [];
            }

            var content = (await blob.DownloadContentAsync(new BlobDownloadOptions { Conditions = new BlobRequestConditions { IfMatch = properties.ETag } }, cancellationToken).ConfigureAwait(false)).Value.Content;
            var file = content.ToObjectFromJson<EarlierResultFile>(Json);
            return [.. (file?.Jobs ?? []).Where(job => job is not null && JobIds.IsWellFormed(job.JobId) && job.StatusUrl is not null)];
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.NotFound or (int)HttpStatusCode.PreconditionFailed)
        {
            return [];
        }
        catch (JsonException)
        {
            return []; // not the ETag release's file
        }
    }

    /// <summary>What the ETag release's result file held that is read here.</summary>
    private sealed record EarlierResultFile(List<ManifestResultJob>? Jobs);

    private static ParallelOptions Options(CancellationToken cancellationToken) => new() { MaxDegreeOfParallelism = ReadConcurrency, CancellationToken = cancellationToken };

    /// <summary>A job an earlier release started under the manifest's name, with the fingerprint its claim keeps.</summary>
    private sealed record EarlierJob(string JobId, string Fingerprint);

    private static partial class Log
    {
        [LoggerMessage(6006, LogLevel.Information, "Manifest {Manifest}: {Count} entry(ies) were started by an earlier release under its ids; not started again")]
        public static partial void StartedByEarlierRelease(ILogger logger, string manifest, int count);
    }
}
