using System.Buffers.Text;
using System.Text;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using VeoFunctions.Storage;

namespace VeoFunctions.Jobs;

/// <summary>
/// <c>GET /api/videos</c>'s pages: jobs newest first across pages, read from the <see cref="JobIndex"/> in name order,
/// each entry's status read from its instance, optionally only those in one phase or started since a time.
/// </summary>
/// <remarks>
/// A page ends at <c>top</c> jobs, at the end of the index, or after <see cref="MaxScanned"/> entries, so a filter that
/// matches few jobs still answers promptly: such a page may hold fewer jobs, or none, and a token to go on with.
/// Jobs started before the index existed are added to it once, from a durable instance query, on the first listing
/// (<see cref="JobIndex.BackfilledMarker"/> remembers it across processes).
/// </remarks>
public sealed partial class JobListing(JobIndex index, VideoLinks links, ILogger<JobListing> logger)
{
    /// <summary>At most this many index entries are read for one page.</summary>
    public const int MaxScanned = 1000;

    // Status reads in flight at once while filling a page.
    private const int Parallelism = 16;

    private SuccessOnlyLazy<int>? _backfill;

    /// <summary>One page; <paramref name="continuationToken"/> is one this method returned (else <see cref="FormatException"/>).</summary>
    public async Task<JobListPage> ReadAsync(DurableTaskClient durable, int top, string? phase, DateTimeOffset? since, string? continuationToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(durable);
        string? marker = continuationToken is null ? null : Decode(continuationToken);
        var backfill = LazyInitializer.EnsureInitialized(ref _backfill, () => new SuccessOnlyLazy<int>(() => BackfillAsync(durable)));
        await backfill.GetAsync().WaitAsync(cancellationToken).ConfigureAwait(false);

        var jobs = new List<JobStatus>(top);
        int scanned = 0;
        do
        {
            // Never more entries than jobs still wanted: each gives at most one, so a page ends on an entry boundary
            // the listing's own token can resume from.
            var page = await index.ReadAsync(marker, top - jobs.Count, cancellationToken).ConfigureAwait(false);
            scanned += page.Entries.Count;
            var recent = page.Entries.TakeWhile(entry => since is null || entry.StartedAt >= since).ToList();
            marker = recent.Count < page.Entries.Count ? null : page.ContinuationToken;
            var statuses = await StatusesAsync(durable, recent, cancellationToken).ConfigureAwait(false);
            jobs.AddRange(statuses.OfType<JobStatus>().Where(status => phase is null || status.Phase == phase));
        }
        while (marker is not null && jobs.Count < top && scanned < MaxScanned);

        return new JobListPage(jobs, marker is null ? null : Encode(marker));
    }

    /// <summary>When the job's own record says it was started: the time its index entry carries.</summary>
    public static DateTimeOffset StartedAt(OrchestrationMetadata job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.ReadInputAs<VideoJobInput>()?.CreatedAt ?? job.CreatedAt;
    }

    // In entry order; null for an entry whose job never started, or was started under another entry's time.
    private async Task<JobStatus?[]> StatusesAsync(DurableTaskClient durable, List<IndexEntry> entries, CancellationToken cancellationToken)
    {
        var statuses = new JobStatus?[entries.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, entries.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var job = await durable.FindJobAsync(entries[i].JobId, withInputsAndOutputs: true, token).ConfigureAwait(false);
                if (job is not null && StartedAt(job) == entries[i].StartedAt)
                {
                    statuses[i] = await links.WithLinkAsync(await durable.StatusOfAsync(job, token).ConfigureAwait(false), token).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        return statuses;
    }

    private async Task<int> BackfillAsync(DurableTaskClient durable)
    {
        if (await index.IsBackfilledAsync(CancellationToken.None).ConfigureAwait(false))
        {
            return 0;
        }

        int added = 0;
        var jobs = durable.GetAllInstancesAsync(new OrchestrationQuery { PageSize = 100, FetchInputsAndOutputs = true })
            .Where(job => job.Name == nameof(VideoJobOrchestrator));
        await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (job, token) =>
        {
            await index.AddAsync(job.InstanceId, StartedAt(job), token).ConfigureAwait(false);
            Interlocked.Increment(ref added);
        }).ConfigureAwait(false);

        await index.MarkBackfilledAsync(CancellationToken.None).ConfigureAwait(false);
        Log.Backfilled(logger, added);
        return added;
    }

    // Our token is the blob listing's, in URL-safe base64 so it travels in a query string unescaped.
    private static string Encode(string marker) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(marker));

    private static string Decode(string token)
    {
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            throw new FormatException("continuationToken is not one this endpoint returned.");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2302, LogLevel.Information, "Added {Count} jobs started before the job index existed to it")]
        public static partial void Backfilled(ILogger logger, int count);
    }
}

/// <summary>A page of jobs, newest first, and the token of the next page (null at the end).</summary>
public sealed record JobListPage(IReadOnlyList<JobStatus> Jobs, string? ContinuationToken);
