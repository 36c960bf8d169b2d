using System.Net;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
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
/// <c>manifests/{container}/{name}/earlier.json</c>: no earlier release adds to them after the upgrade. When the
/// position release had already replaced the ETag release's file (a job of it ended there), the ETag-era jobs it did not
/// record are found among the jobs started around those it did, by their own input naming this manifest.
/// Nothing but a job id is taken from a result file (the pipeline can write there): what a record says of a job comes
/// from the job itself.
/// </remarks>
public sealed partial class EarlierManifestJobs(BlobContainers containers, JobClaims claims, ManifestResults results, ILogger<EarlierManifestJobs> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const int ReadConcurrency = 16;

    /// <summary>The largest result file of the ETag release that is read for its job ids; a bigger one is not that release's.</summary>
    private const long MaxEarlierResultBytes = 16 * 1024 * 1024;

    /// <summary>
    /// For each job, the job an earlier release claimed for it (with its claim as it is now), or null. A claim not marked
    /// started may be one that release never scheduled (its instance recycled mid-intake): the caller starts the entry
    /// under that id and fingerprint, so the scheduler finds the job or takes the claim over, never skips it.
    /// </summary>
    public async Task<EarlierJobClaim?[]> FindAsync(DurableTaskClient durable, string container, string name, string etag, IReadOnlyList<ManifestJob> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var found = new EarlierJobClaim?[jobs.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, jobs.Count), Options(cancellationToken), async (i, ct) =>
        {
            foreach (string id in (string[])[ManifestJobIds.ByPositionFor(container, name, jobs[i]), ManifestJobIds.ByETagFor(container, name, etag, jobs[i])])
            {
                if (await claims.FindAsync(id, ct).ConfigureAwait(false) is { } claim)
                {
                    found[i] = new EarlierJobClaim(id, claim.Fingerprint, claim.Started);
                    return;
                }
            }
        }).ConfigureAwait(false);

        if (found.Any(id => id is null))
        {
            var taken = found.OfType<EarlierJobClaim>().Select(j => j.JobId).ToHashSet(StringComparer.Ordinal);
            var pool = (await ByNameAsync(durable, container, name, jobs, cancellationToken).ConfigureAwait(false)).Where(j => !taken.Contains(j.JobId)).ToList();
            for (int i = 0; i < jobs.Count && pool.Count > 0; i++)
            {
                var earlier = jobs[i].Earlier!;
                if (found[i] is null && pool.FindIndex(j => j.Fingerprint == earlier.Canonical || j.Fingerprint == earlier.Raw) is var match and >= 0)
                {
                    // The gathered list is kept for good; whether the claim is marked started is read as it is now.
                    var claim = await claims.FindAsync(pool[match].JobId, cancellationToken).ConfigureAwait(false);
                    found[i] = new EarlierJobClaim(pool[match].JobId, pool[match].Fingerprint, claim?.Started ?? true);
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

    private async Task<List<EarlierJob>> ByNameAsync(DurableTaskClient durable, string container, string name, IReadOnlyList<ManifestJob> entries, CancellationToken cancellationToken)
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

        var records = await EarlierRecordsAsync(work, container, name, cancellationToken).ConfigureAwait(false);
        var ids = records.Select(r => r.JobId).ToHashSet(StringComparer.Ordinal);
        var jobs = new System.Collections.Concurrent.ConcurrentBag<EarlierJob>();
        await Parallel.ForEachAsync(ids, Options(cancellationToken), async (id, ct) =>
        {
            if (await claims.FindAsync(id, ct).ConfigureAwait(false) is { } claim)
            {
                jobs.Add(new EarlierJob(id, claim.Fingerprint));
            }
        }).ConfigureAwait(false);

        // ETag-era jobs no record names: those the ETag release's file lists while it is still there, or, once the position
        // release replaced that file, those started around the ETag-era jobs it recorded (an intake starts its batch at once).
        var (listed, replaced) = await ETagReleaseResultAsync(name, cancellationToken).ConfigureAwait(false);
        if (replaced)
        {
            listed = await StartedAroundAsync(durable, container, name, records.Where(r => r.Version is null).ToList(), ids, cancellationToken).ConfigureAwait(false);
        }

        await Parallel.ForEachAsync(listed.Where(job => !ids.Contains(job.JobId)).DistinctBy(job => job.JobId, StringComparer.Ordinal), Options(cancellationToken), async (job, ct) =>
        {
            if (await claims.FindAsync(job.JobId, ct).ConfigureAwait(false) is not { } claim)
            {
                return;
            }

            // Each job is checked against what the app itself wrote: while its instance lives, its input must name this
            // manifest, and its record is made from the job's own status; once purged, its claim's fingerprint must be one
            // of this manifest's entries, and only its id and final phase are taken. Either way it stays in view when the
            // app's file replaces the old one (a job that ends later updates its own record).
            ManifestResultJob record;
            if (await durable.FindJobAsync(job.JobId, withInputsAndOutputs: true, ct).ConfigureAwait(false) is { } instance)
            {
                if (instance.ReadInputAs<VideoJobInput>()?.Manifest is not { } origin || origin.Container != container || origin.BlobName != name)
                {
                    return;
                }

                var status = await durable.StatusOfAsync(instance, ct).ConfigureAwait(false);
                bool ended = status.Phase is "completed" or "failed" or "cancelled";
                record = new ManifestResultJob(origin.Index, origin.Id, job.JobId, results.StatusUrl(job.JobId), ended ? status.Phase : "running",
                    status.Video, status.Error, status.Note, ended ? status.LastUpdatedAt : null, status.Cost, StartedAt: instance.CreatedAt);
            }
            else if (entries.FirstOrDefault(e => e.Earlier?.Raw == claim.Fingerprint) is { } entry && job.Phase is "completed" or "failed" or "cancelled")
            {
                record = new ManifestResultJob(entry.Index, entry.Id, job.JobId, results.StatusUrl(job.JobId), job.Phase);
            }
            else
            {
                return;
            }

            await RecordAsync(work, container, name, record, ct).ConfigureAwait(false);
            jobs.Add(new EarlierJob(job.JobId, claim.Fingerprint));
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
    private static async Task<List<ManifestResultJob>> EarlierRecordsAsync(BlobContainerClient work, string container, string name, CancellationToken cancellationToken)
    {
        var records = new List<BlobClient>();
        await foreach (var item in work.GetBlobsAsync(BlobTraits.None, BlobStates.None, ManifestResults.Prefix(container, name) + "jobs/", cancellationToken).ConfigureAwait(false))
        {
            records.Add(work.GetBlobClient(item.Name));
        }

        var earlier = new System.Collections.Concurrent.ConcurrentBag<ManifestResultJob>();
        await Parallel.ForEachAsync(records, Options(cancellationToken), async (record, ct) =>
        {
            try
            {
                var job = (await record.DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content.ToObjectFromJson<ManifestResultJob>(Json);
                if (job is { Attempt: null } && JobIds.IsWellFormed(job.JobId))
                {
                    earlier.Add(job);
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
    // anyone's by now (the pipeline can write there): only well-formed job ids are taken from it, nothing else, and each
    // counts only if its claim exists (and, while its instance lives, that names this manifest). Replaced: the file is
    // the app's own already.
    private async Task<(List<ListedJob> Jobs, bool Replaced)> ETagReleaseResultAsync(string name, CancellationToken cancellationToken)
    {
        var blob = containers.Jobs().GetBlobClient(ManifestFiles.ResultName(name));
        for (int read = 0; ; read++)
        {
            try
            {
                var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
                if (properties.Metadata.ContainsKey(ManifestResults.OwnMarker))
                {
                    return ([], true);
                }

                if (properties.ContentLength > MaxEarlierResultBytes)
                {
                    return ([], false);
                }

                var content = (await blob.DownloadContentAsync(new BlobDownloadOptions { Conditions = new BlobRequestConditions { IfMatch = properties.ETag } }, cancellationToken).ConfigureAwait(false)).Value.Content;
                var file = content.ToObjectFromJson<EarlierResultFile>(Json);
                return ([.. (file?.Jobs ?? []).Select(job => job?.JobId is { } id && JobIds.IsWellFormed(id) ? new ListedJob(id, job.Phase) : null).OfType<ListedJob>()], false);
            }
            catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
            {
                return ([], false);
            }
            catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.PreconditionFailed && read < 3)
            {
                // Rewritten between the two reads (most likely replaced by the app's own refresh): read it again.
            }
            catch (JsonException)
            {
                return ([], false); // not the ETag release's file
            }
        }
    }

    // How long around an ETag-era job's start its siblings may have started: that release started a batch in one intake,
    // inside the host's 10-minute function timeout.
    private static readonly TimeSpan SiblingWindow = TimeSpan.FromMinutes(15);

    // The jobs started around the ETag-era jobs the position release recorded: candidates, each checked by its own input.
    private static async Task<List<ListedJob>> StartedAroundAsync(DurableTaskClient durable, string container, string name, List<ManifestResultJob> anchors, HashSet<string> known, CancellationToken cancellationToken)
    {
        var found = new List<ListedJob>();
        foreach (var at in anchors.Select(a => a.StartedAt).OfType<DateTimeOffset>().Distinct().Order())
        {
            var query = new OrchestrationQuery { CreatedFrom = at - SiblingWindow, CreatedTo = at + SiblingWindow, FetchInputsAndOutputs = true, PageSize = 100 };
            await foreach (var instance in durable.GetAllInstancesAsync(query).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (!known.Contains(instance.InstanceId) && JobIds.IsWellFormed(instance.InstanceId)
                    && instance.ReadInputAs<VideoJobInput>()?.Manifest is { } origin && origin.Container == container && origin.BlobName == name)
                {
                    found.Add(new ListedJob(instance.InstanceId, null));
                }
            }
        }

        return found;
    }

    private static async Task RecordAsync(BlobContainerClient work, string container, string name, ManifestResultJob record, CancellationToken cancellationToken)
    {
        try
        {
            await work.GetBlobClient(ManifestResults.RecordName(container, name, record.JobId)).UploadAsync(BinaryData.FromObjectAsJson(record, Json),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
        {
            // Its own record already (it ended after the upgrade).
        }
    }

    /// <summary>What the ETag release's result file held that is read here: each job's id and phase, nothing else.</summary>
    private sealed record EarlierResultFile(List<FileJob?>? Jobs);

    private sealed record FileJob(string? JobId, string? Phase);

    /// <summary>A job id an earlier release's file listed (or a sibling found by its input), with the phase the file gave it.</summary>
    private sealed record ListedJob(string JobId, string? Phase);

    private static ParallelOptions Options(CancellationToken cancellationToken) => new() { MaxDegreeOfParallelism = ReadConcurrency, CancellationToken = cancellationToken };

    /// <summary>A job an earlier release started under the manifest's name, with the fingerprint its claim keeps.</summary>
    private sealed record EarlierJob(string JobId, string Fingerprint);

    private static partial class Log
    {
        [LoggerMessage(6006, LogLevel.Information, "Manifest {Manifest}: {Count} entry(ies) were started by an earlier release under its ids; not started again")]
        public static partial void StartedByEarlierRelease(ILogger logger, string manifest, int count);
    }
}

/// <summary>The job an earlier release claimed for an entry: its id, the fingerprint its claim keeps, and whether the claim says it was scheduled.</summary>
public sealed record EarlierJobClaim(string JobId, string Fingerprint, bool Started);
