using System.Net;
using Azure;
using Azure.Storage.Blobs;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Images;
using VeoFunctions.Jobs;
using VeoFunctions.Money;
using VeoFunctions.Storage;

namespace VeoFunctions.Manifests;

/// <summary>
/// The second door: a manifest dropped into the jobs container starts the jobs it describes. Validated like the
/// HTTP body, by the same parser; images it names in the app's images container are read with the app's own
/// identity and checked by their bytes before anything starts. A bad manifest gets an error file and starts
/// nothing; a good one gets a result file and its jobs, under ids derived from the manifest's identity, so a
/// redelivered event starts nothing twice. With a daily budget, the batch's estimates are reserved together: a batch
/// that does not fit in what is left of the day gets an error file saying so and starts nothing.
/// </summary>
public sealed partial class ManifestIntake(
    ManifestParser parser, JobScheduler scheduler, ManifestResults results, BlobContainers containers, BlobServiceClient service,
    IOptions<StorageOptions> storage, IOptions<ImageOptions> images, IOptions<JobOptions> jobs, JobSpending spending, JobClaims claims, TimeProvider time, ILogger<ManifestIntake> logger)
{
    /// <summary>How many jobs of a batch are started at once.</summary>
    private const int StartConcurrency = 8;

    public async Task<ManifestIntakeOutcome> AcceptAsync(DurableTaskClient durable, string container, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(durable);

        // Event Grid reports every blob under its filter, the app's own files included, and a trigger can be handed a
        // blob of a container it does not watch.
        if (container != storage.Value.JobsContainer || !ManifestFiles.IsManifest(name))
        {
            return ManifestIntakeOutcome.Ignored;
        }

        var manifest = containers.Jobs().GetBlobClient(name);
        var read = await ReadAsync(manifest, jobs.Value.MaxManifestBytes, cancellationToken).ConfigureAwait(false);
        if (read.Missing)
        {
            Log.Gone(logger, name);
            return ManifestIntakeOutcome.Ignored;
        }

        string etag = read.ETag!;
        var parsed = read.Content is { } content
            ? parser.Parse(content, OwnBlob)
            : new ManifestParseResult([], [new ManifestProblem(null, null, "manifest", $"The manifest is larger than {jobs.Value.MaxManifestBytes} bytes.")]);
        var problems = parsed.Problems.ToList();
        var checkedBlobs = await CheckBlobImagesAsync(parsed.Jobs, cancellationToken).ConfigureAwait(false);
        var ready = new List<ManifestJob>(parsed.Jobs.Count);
        foreach (var job in parsed.Jobs)
        {
            var (loaded, imageProblems) = WithCheckedBlobImages(job, checkedBlobs);
            problems.AddRange(imageProblems);
            ready.Add(loaded);
        }

        if (problems.Count > 0)
        {
            await results.WriteErrorsAsync(name, etag, problems, cancellationToken).ConfigureAwait(false);
            Log.Rejected(logger, name, problems.Count);
            return ManifestIntakeOutcome.Rejected;
        }

        ready = await WithoutLegacyJobsAsync(container, name, etag, ready, cancellationToken).ConfigureAwait(false);
        var quotes = await spending.QuoteAllAsync(ready.Select(job => job.Draft.Request).ToList(), cancellationToken).ConfigureAwait(false);
        var entries = ready.Select((job, i) => (Job: job, JobId: ManifestJobIds.For(container, name, job), Quote: quotes[i])).ToList();
        // The batch's reservation names this delivery as its holder: each job's start takes its entry over (JobScheduler),
        // so what this delivery gives back below is never a reservation a start now relies on.
        string holder = "manifest-" + Guid.NewGuid().ToString("N");
        var reservation = await ReserveAsync(entries.Select(e => (e.JobId, e.Quote)).ToList(), holder, cancellationToken).ConfigureAwait(false);
        if (reservation is { Reserved: false } refused)
        {
            await results.WriteErrorsAsync(name, etag, [new ManifestProblem(null, null, "budget", refused.Budget.Refusal(refused.NeededUsd))], cancellationToken).ConfigureAwait(false);
            Log.OverBudget(logger, name, refused.NeededUsd);
            return ManifestIntakeOutcome.Rejected;
        }

        var startedAt = time.GetUtcNow();
        try
        {
            await results.StartAsync(container, name, etag,
                entries.Select(e => new ManifestResultJob(e.Job.Index, e.Job.Id, e.JobId, results.StatusUrl(e.JobId), "running", Cost: JobCost.Pending(e.Quote.Estimate), Version: etag, StartedAt: startedAt)).ToList(),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (reservation is { Created.Count: > 0 })
        {
            // Nothing of the batch started: what this delivery reserved is given back (a job another delivery claimed meanwhile keeps its own).
            await ReleaseUnclaimedAsync(entries.Where(e => reservation.Created.Contains(e.JobId)).Select(e => (e.JobId, e.Quote)).ToList(), holder).ConfigureAwait(false);
            throw;
        }

        // Every entry is started whatever becomes of its siblings: a failure is not a cancellation of the others. A failed
        // entry gave its claim and reservation back (JobScheduler), so the trigger's retry, which the exception below
        // asks for, claims and starts it; one another delivery is starting is waited for, and taken over if that
        // delivery died (its claim unstarted past JobScheduler.AbandonedClaimAfter).
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var failed = new System.Collections.Concurrent.ConcurrentQueue<(string JobId, JobQuote Quote)>();
        await Parallel.ForEachAsync(entries, new ParallelOptions { MaxDegreeOfParallelism = StartConcurrency }, async (entry, _) =>
        {
            var origin = new ManifestEntry(container, name, entry.Job.Index, entry.Job.Id);
            using var scope = Telemetry.JobLogScope.Begin(logger, entry.JobId);
            try
            {
                await StartEntryAsync(durable, name, entry.Job, entry.JobId, entry.Quote, origin, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.EntryFailed(logger, ex, name, entry.JobId);
                failures.Enqueue(ex);
                failed.Enqueue((entry.JobId, entry.Quote));
            }
        }).ConfigureAwait(false);

        if (!failures.IsEmpty)
        {
            if (reservation is { Created.Count: > 0 })
            {
                // One that failed before it was claimed still holds what this delivery reserved for it.
                await ReleaseUnclaimedAsync(failed.Where(f => reservation.Created.Contains(f.JobId)).ToList(), holder).ConfigureAwait(false);
            }

            throw new AggregateException($"Manifest {name}: {failures.Count} of {entries.Count} job(s) could not be started; the trigger's retry starts them.", failures);
        }

        Log.Started(logger, name, entries.Count);
        return ManifestIntakeOutcome.Started;
    }

    private async Task StartEntryAsync(DurableTaskClient durable, string name, ManifestJob job, string jobId, JobQuote quote, ManifestEntry origin, CancellationToken cancellationToken)
    {
        var giveUpAt = time.GetUtcNow() + JobScheduler.AbandonedClaimAfter + TimeSpan.FromSeconds(30);
        var outcome = await scheduler.ScheduleAsync(durable, jobId, job.Draft, job.Fingerprint, callerChosenId: true, cancellationToken, origin, quote).ConfigureAwait(false);
        while (outcome == ScheduleOutcome.Starting)
        {
            // Another delivery holds the claim and has not scheduled the job yet (each round waits a few seconds for it).
            // It may have died: past the abandoned-claim age the scheduler takes the claim over and starts the job here.
            if (time.GetUtcNow() > giveUpAt)
            {
                throw new TimeoutException($"Job {jobId} stayed claimed by another delivery that never started it.");
            }

            Log.StartedElsewhere(logger, name, jobId);
            outcome = await scheduler.ScheduleAsync(durable, jobId, job.Draft, job.Fingerprint, callerChosenId: true, cancellationToken, origin, quote).ConfigureAwait(false);
        }

        if (outcome == ScheduleOutcome.OverBudget)
        {
            // The batch was reserved, but this job's start fell on the next day, whose budget is full.
            var now = time.GetUtcNow();
            await results.RecordEndAsync(origin, new JobStatus(jobId, "failed", now, now, null, null, null,
                "The daily budget had no room for this job when it was to start; nothing was started or sent to fal.", Cost: JobCost.Pending(quote.Estimate)), cancellationToken).ConfigureAwait(false);
        }
    }

    // Gives back reservations of jobs no delivery has claimed; a claimed one is being started, with its reservation.
    private async Task ReleaseUnclaimedAsync(List<(string JobId, JobQuote Quote)> jobs, string holder)
    {
        foreach (var (jobId, quote) in jobs)
        {
            if (await claims.FindAsync(jobId, CancellationToken.None).ConfigureAwait(false) is null)
            {
                await spending.ReleaseAsync(jobId, quote, holder, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    // The previous release named a job after the blob's ETag. This exact version, served by it and redelivered after an
    // upgrade, has its jobs under those ids already: they are not started again under the new ones.
    private async Task<List<ManifestJob>> WithoutLegacyJobsAsync(string container, string name, string etag, List<ManifestJob> ready, CancellationToken cancellationToken)
    {
        var legacy = new bool[ready.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, ready.Count), new ParallelOptions { MaxDegreeOfParallelism = StartConcurrency, CancellationToken = cancellationToken }, async (i, ct) =>
            legacy[i] = await claims.FindAsync(ManifestJobIds.LegacyFor(container, name, etag, ready[i]), ct).ConfigureAwait(false) is not null).ConfigureAwait(false);
        if (legacy.Any(started => started))
        {
            Log.StartedByPreviousRelease(logger, name, legacy.Count(started => started));
        }

        return ready.Where((_, i) => !legacy[i]).ToList();
    }

    // The whole batch or none of it. Jobs already claimed (a redelivered event) hold their reservation already, or
    // started on an earlier day: only the others are reserved, so a redelivery never counts a job twice.
    private async Task<BudgetReservation?> ReserveAsync(List<(string JobId, JobQuote Quote)> jobs, string holder, CancellationToken cancellationToken)
    {
        if (jobs.Count == 0 || jobs[0].Quote.BudgetDay is null)
        {
            return null;
        }

        var fresh = new List<(string JobId, JobQuote Quote)>(jobs.Count);
        foreach (var job in jobs)
        {
            if (await claims.FindAsync(job.JobId, cancellationToken).ConfigureAwait(false) is null)
            {
                fresh.Add(job);
            }
        }

        return await spending.ReserveAsync(fresh, cancellationToken, holder).ConfigureAwait(false);
    }

    // "images/cat.png", or the blob's URL in the app's own storage account.
    private BlobImage? OwnBlob(string reference)
    {
        string container = storage.Value.ImagesContainer;
        string? name = reference.StartsWith(container + "/", StringComparison.Ordinal) ? reference[(container.Length + 1)..]
            : reference.StartsWith($"{service.Uri.AbsoluteUri.TrimEnd('/')}/{container}/", StringComparison.Ordinal)
                ? Uri.UnescapeDataString(reference[(service.Uri.AbsoluteUri.TrimEnd('/').Length + container.Length + 2)..])
                : null;
        return name is { Length: > 0 } && !name.Split('/').Any(segment => segment is "" or "." or "..") ? new BlobImage(container, name) : null;
    }

    /// <summary>How many private images are read and checked at once: the intake's image bytes in memory are at most this many images.</summary>
    private const int CheckConcurrency = 4;

    private sealed record BlobCheck(string? Problem, InspectedImage? Image, string? Version);

    // Each distinct blob a batch names is read and checked once (a thousand entries often share a few images), a few at
    // a time; only the verdict and the blob's version are kept, never the bytes. The job copies that version into
    // staging when it starts.
    private async Task<Dictionary<string, BlobCheck>> CheckBlobImagesAsync(IReadOnlyList<ManifestJob> jobs, CancellationToken cancellationToken)
    {
        var names = jobs.SelectMany(job => job.Draft.Images).Select(image => image.Blob?.Name).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var checks = new System.Collections.Concurrent.ConcurrentDictionary<string, BlobCheck>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = CheckConcurrency, CancellationToken = cancellationToken }, async (name, ct) =>
        {
            string container = storage.Value.ImagesContainer;
            var read = await ReadAsync(containers.Images().GetBlobClient(name), images.Value.MaxImageBytes, ct).ConfigureAwait(false);
            if (read.Content is not { } bytes)
            {
                checks[name] = new BlobCheck(read.Missing
                    ? $"There is no blob {container}/{name} in the app's storage."
                    : $"The blob {container}/{name} is larger than {images.Value.MaxImageBytes} bytes.", null, null);
                return;
            }

            var inspected = ImageInspector.Inspect(bytes.Span, images.Value);
            checks[name] = inspected.IsAccepted ? new BlobCheck(null, inspected.Image, read.ETag) : new BlobCheck(inspected.RejectionReason, null, null);
        }).ConfigureAwait(false);
        return new Dictionary<string, BlobCheck>(checks, StringComparer.Ordinal);
    }

    private static (ManifestJob Job, List<ManifestProblem> Problems) WithCheckedBlobImages(ManifestJob job, Dictionary<string, BlobCheck> checks)
    {
        var problems = new List<ManifestProblem>();
        var loaded = new List<DraftImage>(job.Draft.Images.Count);
        foreach (var image in job.Draft.Images)
        {
            if (image.Blob is not { } blob)
            {
                loaded.Add(image);
            }
            else if (checks[blob.Name] is { Image: { } inspected, Version: { } version })
            {
                loaded.Add(image with { Inspected = inspected, BlobVersion = version });
            }
            else
            {
                problems.Add(new ManifestProblem(job.Index, job.Id, $"image_urls[{image.Index}]", checks[blob.Name].Problem!));
            }
        }

        return (job with { Draft = job.Draft with { Images = loaded } }, problems);
    }

    private sealed record BlobRead(bool Missing, ReadOnlyMemory<byte>? Content, string? ETag);

    // The blob's bytes and ETag; no bytes when it is larger than the limit; missing when it is gone.
    private static async Task<BlobRead> ReadAsync(BlobClient blob, long limit, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            if (properties.Value.ContentLength > limit)
            {
                return new BlobRead(false, null, properties.Value.ETag.ToString());
            }

            var content = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return new BlobRead(false, content.Value.Content.ToMemory(), content.Value.Details.ETag.ToString());
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return new BlobRead(true, null, null);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(6001, LogLevel.Information, "Manifest {Manifest}: {Count} job(s) started")]
        public static partial void Started(ILogger logger, string manifest, int count);

        [LoggerMessage(6002, LogLevel.Warning, "Manifest {Manifest} refused: {Count} problem(s), listed in its error file; nothing was started")]
        public static partial void Rejected(ILogger logger, string manifest, int count);

        [LoggerMessage(6003, LogLevel.Information, "Manifest {Manifest} is gone; nothing to do")]
        public static partial void Gone(ILogger logger, string manifest);

        [LoggerMessage(6005, LogLevel.Warning, "Manifest {Manifest} refused: its jobs need an estimated {NeededUsd} USD, more than is left of today's budget; nothing was started")]
        public static partial void OverBudget(ILogger logger, string manifest, decimal neededUsd);

        [LoggerMessage(6006, LogLevel.Information, "Manifest {Manifest}: {Count} job(s) of this version were started by the previous release under its ids; not started again")]
        public static partial void StartedByPreviousRelease(ILogger logger, string manifest, int count);

        [LoggerMessage(6007, LogLevel.Error, "Manifest {Manifest}: job {JobId} could not be started; nothing of it was spent, and the trigger's retry starts it")]
        public static partial void EntryFailed(ILogger logger, Exception exception, string manifest, string jobId);

        [LoggerMessage(6004, LogLevel.Information, "Manifest {Manifest}: job {JobId} is being started by another delivery of the same event")]
        public static partial void StartedElsewhere(ILogger logger, string manifest, string jobId);
    }
}
