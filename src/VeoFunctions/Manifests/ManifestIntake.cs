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
    IOptions<StorageOptions> storage, IOptions<ImageOptions> images, IOptions<JobOptions> jobs, JobSpending spending, JobClaims claims, EarlierManifestJobs earlierJobs, TimeProvider time, ILogger<ManifestIntake> logger)
{
    /// <summary>How many jobs of a batch are started at once.</summary>
    private const int StartConcurrency = 8;

    /// <summary>
    /// How many jobs one entry may have: its first and at most two that redrives of failed entries start. A failure fal
    /// billed can repeat on every attempt (a video on a host not listed, a model that fails the same input), so a
    /// scheduled redrive must not become a bill per run.
    /// </summary>
    public const int MaxAttempts = 3;

    public async Task<ManifestIntakeOutcome> AcceptAsync(DurableTaskClient durable, string container, string name, CancellationToken cancellationToken) =>
        (await AcceptAsync(durable, container, name, retryFailed: false, cancellationToken).ConfigureAwait(false)).Outcome;

    /// <param name="retryFailed">
    /// Also start a new attempt of each entry whose last job ended failed, or cancelled without its video (a redrive of
    /// failed entries); one running, completed or cancelled with its video is left as it is. An entry whose failed job
    /// can be resumed (fal has its video), or that has had <see cref="MaxAttempts"/> jobs, is not started: it is listed
    /// in the answer instead.
    /// </param>
    public async Task<ManifestIntakeResult> AcceptAsync(DurableTaskClient durable, string container, string name, bool retryFailed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(durable);

        // Event Grid reports every blob under its filter, the app's own files included, and a trigger can be handed a
        // blob of a container it does not watch.
        if (container != storage.Value.JobsContainer || !ManifestFiles.IsManifest(name))
        {
            return new(ManifestIntakeOutcome.Ignored, []);
        }

        var manifest = containers.Jobs().GetBlobClient(name);
        var read = await ReadAsync(manifest, jobs.Value.MaxManifestBytes, cancellationToken).ConfigureAwait(false);
        if (read.Missing)
        {
            Log.Gone(logger, name);
            return new(ManifestIntakeOutcome.Ignored, []);
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
            return new(ManifestIntakeOutcome.Rejected, []);
        }

        var (attempts, notRetried) = await AttemptsAsync(durable, container, name, etag, ready, retryFailed, cancellationToken).ConfigureAwait(false);
        foreach (var held in notRetried)
        {
            Log.NotRetried(logger, name, held.JobId, held.Reason);
        }

        var quotes = await spending.QuoteAllAsync(attempts.Select(a => a.Job.Draft.Request).ToList(), cancellationToken).ConfigureAwait(false);
        var entries = attempts.Select((a, i) => (a.Job, a.JobId, a.Attempt, a.Earlier, Quote: quotes[i])).ToList();
        // The batch's reservation names this delivery as its holder: each job's start takes its entry over (JobScheduler),
        // so what this delivery gives back below is never a reservation a start now relies on.
        string holder = "manifest-" + Guid.NewGuid().ToString("N");
        var reservation = await ReserveAsync(entries.Select(e => (e.JobId, e.Quote)).ToList(), holder, cancellationToken).ConfigureAwait(false);
        if (reservation is { Reserved: false } refused)
        {
            await results.WriteErrorsAsync(name, etag, [new ManifestProblem(null, null, "budget", refused.Budget.Refusal(refused.NeededUsd))], cancellationToken).ConfigureAwait(false);
            Log.OverBudget(logger, name, refused.NeededUsd);
            return new(ManifestIntakeOutcome.Rejected, []);
        }

        var startedAt = time.GetUtcNow();
        try
        {
            await results.StartAsync(container, name, etag,
                entries.Select(e => new ManifestResultJob(e.Job.Index, e.Job.Id, e.JobId, results.StatusUrl(e.JobId), "running", Cost: JobCost.Pending(e.Quote.Estimate), Version: etag, StartedAt: startedAt, Attempt: e.Earlier ? null : e.Attempt)).ToList(),
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

            throw new ManifestIncompleteException(name, entries.Count, failures);
        }

        Log.Started(logger, name, entries.Count);
        return new(ManifestIntakeOutcome.Started, notRetried);
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

    // Which job each entry is to start (or find started): its own, unless an earlier release claimed one for it; with
    // retryFailed, the attempt after its ended failed ones. Attempt n's id comes from the entry's and n, so concurrent or
    // retried redrives name the same job and its claim starts it once.
    private async Task<(List<(ManifestJob Job, string JobId, int Attempt, bool Earlier)> Start, List<NotRetried> NotRetried)> AttemptsAsync(
        DurableTaskClient durable, string container, string name, string etag, List<ManifestJob> ready, bool retryFailed, CancellationToken cancellationToken)
    {
        var earlier = await earlierJobs.FindAsync(durable, container, name, etag, ready, cancellationToken).ConfigureAwait(false);
        var attempts = new (ManifestJob Job, string JobId, int Attempt, bool Earlier)?[ready.Count];
        var held = new NotRetried?[ready.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, ready.Count), new ParallelOptions { MaxDegreeOfParallelism = StartConcurrency, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            string own = earlier[i]?.JobId ?? ManifestJobIds.For(container, name, ready[i]);
            int attempt = 0;
            while (retryFailed)
            {
                string jobId = ManifestJobIds.AttemptFor(own, attempt);
                var end = await EndOfAsync(durable, container, name, jobId, ct).ConfigureAwait(false);
                if (end == AttemptEnd.NotFailed)
                {
                    break;
                }

                if (end == AttemptEnd.Resumable || attempt + 1 >= MaxAttempts)
                {
                    held[i] = new NotRetried(ready[i].Index, ready[i].Id, jobId, end == AttemptEnd.Resumable ? NotRetried.Resumable : NotRetried.OutOfAttempts);
                    return;
                }

                attempt++;
            }

            if (attempt > 0 || earlier[i] is not { } found)
            {
                attempts[i] = (ready[i], ManifestJobIds.AttemptFor(own, attempt), attempt, false);
            }
            else if (!found.Started)
            {
                // Claimed by an earlier release and maybe never scheduled (its instance recycled mid-intake, the upgrade's
                // own deploy): started under that release's id and fingerprint, so the scheduler finds its job, waits for
                // its starter, or takes the claim (and its reservation) over. Never skipped, never a second id.
                attempts[i] = (ready[i] with { Fingerprint = found.Fingerprint }, found.JobId, 0, true);
            }

            // Otherwise the earlier release started it: it is found, never started again.
        }).ConfigureAwait(false);
        return ([.. attempts.OfType<(ManifestJob, string, int, bool)>()], [.. held.OfType<NotRetried>()]);
    }

    private enum AttemptEnd
    {
        NotFailed,
        Failed,

        /// <summary>Failed straight out of its archive: fal made (and billed) the video, and a resume archives it.</summary>
        Resumable,
    }

    // How a job ended, as its status says (or, once its history is purged, its result record). Cancelled with its video
    // (fal finished before the cancel took) is not failed: that entry has its video.
    private async Task<AttemptEnd> EndOfAsync(DurableTaskClient durable, string container, string name, string jobId, CancellationToken cancellationToken)
    {
        if (await durable.FindJobAsync(jobId, withInputsAndOutputs: true, cancellationToken).ConfigureAwait(false) is { } instance)
        {
            var status = await durable.StatusOfAsync(instance, cancellationToken).ConfigureAwait(false);
            return status is not { Phase: "failed" or "cancelled", Video: null } ? AttemptEnd.NotFailed
                : SalvageRuns.EndedByItsArchive(instance) ? AttemptEnd.Resumable
                : AttemptEnd.Failed;
        }

        return await results.FindRecordAsync(container, name, jobId, cancellationToken).ConfigureAwait(false) is { Phase: "failed" or "cancelled", Video: null }
            ? AttemptEnd.Failed
            : AttemptEnd.NotFailed;
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

        [LoggerMessage(6007, LogLevel.Error, "Manifest {Manifest}: job {JobId} could not be started; nothing of it was spent, and the trigger's retry starts it")]
        public static partial void EntryFailed(ILogger logger, Exception exception, string manifest, string jobId);

        [LoggerMessage(6009, LogLevel.Warning, "Manifest {Manifest}: job {JobId} failed and is not retried ({Reason}): resume it, or give its entry a new run label")]
        public static partial void NotRetried(ILogger logger, string manifest, string jobId, string reason);

        [LoggerMessage(6004, LogLevel.Information, "Manifest {Manifest}: job {JobId} is being started by another delivery of the same event")]
        public static partial void StartedElsewhere(ILogger logger, string manifest, string jobId);
    }
}
