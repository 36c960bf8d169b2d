using System.Security.Cryptography;
using System.Text;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Money;
using VeoFunctions.Storage;

namespace VeoFunctions.Jobs;

/// <summary>
/// Starts a validated job under an id the caller chooses (a fresh one, an Idempotency-Key, later a blob's
/// identity), so a retried start finds the job it already made instead of paying for a second one.
/// </summary>
/// <remarks>
/// With <paramref name="spending"/> (the app always has it) a job carries its cost estimate and, when a daily budget is
/// set, reserves it before anything is staged or scheduled: a job that does not fit starts nothing
/// (<see cref="ScheduleOutcome.OverBudget"/>) and gives its claim back, so the same key may start it another day. A
/// reservation is given back only when the job certainly was not scheduled (see <see cref="ScheduleAsync"/>).
/// </remarks>
public sealed partial class JobScheduler(ImageStaging staging, JobClaims claims, JobIndex index, IOptions<JobOptions> options, TimeProvider time, JobSpending? spending = null, Telemetry.VeoMetrics? metrics = null, ILogger<JobScheduler>? logger = null)
{
    /// <summary>A new random job id.</summary>
    public static string NewJobId() => Guid.NewGuid().ToString("N");

    /// <summary>The job id an idempotency key always maps to.</summary>
    public static string JobIdFor(string idempotencyKey) =>
        "k" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..31];

    /// <summary>
    /// Where fal calls back for this job. The token is the job's own secret: fal's signature does not cover the
    /// URL, so it is what proves a delivery was meant for this job when the job must adopt an unrecorded request.
    /// </summary>
    public static Uri WebhookUrl(Uri publicBaseUrl, string jobId) =>
        new($"{publicBaseUrl.AbsoluteUri.TrimEnd('/')}/api/fal/webhook?job={jobId}&token={Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}");

    /// <summary>A digest of the request, to tell a replay from a different request reusing a key.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body));

    /// <summary>A claim whose job never appeared is taken over after this long (its starter died).</summary>
    public static readonly TimeSpan AbandonedClaimAfter = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Starts the job. <paramref name="callerChosenId"/> says the id came from the caller (an Idempotency-Key, a
    /// blob's identity) and may be reused: then an existing or concurrently starting job is found, not duplicated.
    /// A fresh random id needs none of that.
    /// </summary>
    /// <param name="manifest">The manifest the job came from, if it came from one: the job reports its end to its result file.</param>
    /// <param name="quote">The door's estimate (and budget day); made here when not given.</param>
    public async Task<ScheduleOutcome> ScheduleAsync(DurableTaskClient client, string jobId, VideoJobDraft draft, string fingerprint, bool callerChosenId, CancellationToken cancellationToken,
        ManifestEntry? manifest = null, JobQuote? quote = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(draft);
        if (spending is not null)
        {
            quote ??= await spending.QuoteAsync(draft.Request, cancellationToken).ConfigureAwait(false);
        }

        JobClaim? claim = null;
        if (callerChosenId)
        {
            (var settled, claim) = await ClaimAsync(client, jobId, fingerprint, cancellationToken).ConfigureAwait(false);
            if (settled is { } done)
            {
                return done;
            }
        }

        // Up to the schedule call the job certainly does not exist: whatever fails (a client that disconnects while its
        // images are staged is enough) gives back the claim and the reservation, so the same id starts again only with
        // room again. The reservation names this start as its holder: what it gives back is never another start's.
        string holder = NewJobId();
        VideoJobInput input;
        try
        {
            // Before anything is staged or scheduled: a job the day's budget has no room for starts nothing.
            var reservation = quote is not null && spending is not null ? await spending.ReserveAsync([(jobId, quote)], cancellationToken, holder).ConfigureAwait(false) : null;
            if (reservation is { Reserved: false })
            {
                if (claim is not null)
                {
                    await claims.ReleaseAsync(jobId, claim, cancellationToken).ConfigureAwait(false);
                }

                return ScheduleOutcome.OverBudget;
            }

            input = await PrepareAsync(jobId, draft, fingerprint, manifest, quote, cancellationToken).ConfigureAwait(false);
            if (claim is not null)
            {
                // The fence: staging can stall past AbandonedClaimAfter, and a retry that took the claim over meanwhile
                // may have started the job, or failed and given back the reservation. Only a start that still holds its
                // claim schedules; once marked scheduling, neither it nor a taker gives anything back.
                if (await claims.BeginSchedulingAsync(jobId, claim, cancellationToken).ConfigureAwait(false) is not { } fenced)
                {
                    // What it held is its taker's now (the reservation passed with the claim); this start gives back nothing.
                    return await ExistingAsync(client, jobId, fingerprint, CancellationToken.None).ConfigureAwait(false) ?? ScheduleOutcome.Starting;
                }

                claim = fenced;
            }
        }
        catch (Exception)
        {
            await GiveBackAsync(jobId, claim, quote, holder).ConfigureAwait(false);
            throw;
        }

        // From here the job may exist, whatever the call answers: nothing is given back, and a client that disconnects
        // no longer stops the start half-way. A start that failed here keeps its reservation for the job; a retry of the
        // same id finds the job, or takes the claim over and inherits the reservation.
        return await ScheduleOnceAsync(client, input, claim).ConfigureAwait(false);
    }

    private async Task GiveBackAsync(string jobId, JobClaim? claim, JobQuote? quote, string holder)
    {
        try
        {
            // The claim first: once it is gone, no other start can be relying on this one's reservation.
            bool ours = claim is null || await claims.ReleaseAsync(jobId, claim, CancellationToken.None).ConfigureAwait(false);
            if (ours && quote is not null && spending is not null)
            {
                await spending.ReleaseAsync(jobId, quote, holder, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or HttpRequestException or TimeoutException)
        {
            // Kept reserved: the day counts a job that never ran, never the other way round. The start's own failure is the caller's to see.
            if (logger is not null)
            {
                Log.NotGivenBack(logger, jobId, ex.Message);
            }
        }
    }

    private async Task<VideoJobInput> PrepareAsync(string jobId, VideoJobDraft draft, string fingerprint, ManifestEntry? manifest, JobQuote? quote, CancellationToken cancellationToken)
    {
        var images = new List<ImageSource>(draft.Images.Count);
        foreach (var image in draft.Images)
        {
            images.Add(image switch
            {
                { Inspected: { } inspected, Blob: { } blob, BlobVersion: { } version } =>
                    new ImageSource(image.Index, null, await staging.StageBlobAsync(jobId, image.Index, blob, version, inspected, cancellationToken).ConfigureAwait(false)),
                { Inspected: { } inspected } =>
                    new ImageSource(image.Index, null, await staging.StageAsync(jobId, image.Index, image.Bytes, inspected, cancellationToken).ConfigureAwait(false)),
                _ => new ImageSource(image.Index, image.Url!.AbsoluteUri, null),
            });
        }

        var jobs = options.Value;
        var input = new VideoJobInput(
            jobId,
            draft.Request,
            images,
            WebhookUrl(jobs.PublicBaseUrl, jobId),
            spending?.WithBillingChecks(JobTiming.From(jobs)) ?? JobTiming.From(jobs),
            time.GetUtcNow(),
            fingerprint,
            draft.Callback,
            draft.Priority,
            manifest,
            quote);
        await index.AddAsync(jobId, input.CreatedAt, cancellationToken).ConfigureAwait(false); // first: an entry without a job is skipped, a job without one is never listed
        return input;
    }

    private async Task<ScheduleOutcome> ScheduleOnceAsync(DurableTaskClient client, VideoJobInput input, JobClaim? claim)
    {
        string jobId = input.JobId;
        var outcome = ScheduleOutcome.Started;
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(VideoJobOrchestrator), input, JobIds.StartOnce(jobId), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Taking over an abandoned claim can still race its original starter (whose job then stands, deduplicated
            // whatever its state); anything else is a real failure.
            if (await ExistingAsync(client, jobId, input.RequestFingerprint, CancellationToken.None).ConfigureAwait(false) is not { } raced)
            {
                throw;
            }

            outcome = raced;
        }

        if (outcome == ScheduleOutcome.Started)
        {
            metrics?.JobStarted(input.Manifest is null ? "http" : "manifest", input.Quote?.Estimate.EstimatedUsd ?? 0);
        }

        if (claim is not null && outcome != ScheduleOutcome.Conflict)
        {
            // From now on the claim, not the orchestration's history (which may be purged), keeps a replay from paying twice.
            await claims.MarkStartedAsync(jobId, claim, CancellationToken.None).ConfigureAwait(false);
        }

        return outcome;
    }

    // Settled: what became of the id already (null when this request should go on and start the job, under Claim).
    private async Task<(ScheduleOutcome? Settled, JobClaim? Claim)> ClaimAsync(DurableTaskClient client, string jobId, string fingerprint, CancellationToken cancellationToken)
    {
        // The instance first: a job whose claim an older release's retention rule deleted is still found by it.
        if (await ExistingAsync(client, jobId, fingerprint, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            if (existing == ScheduleOutcome.AlreadyExists
                && await claims.FindAsync(jobId, cancellationToken).ConfigureAwait(false) is { Started: false } unmarked
                && unmarked.Fingerprint == fingerprint)
            {
                // Its starter scheduled it but did not get to mark the claim: do it now, before the history can be purged.
                await claims.MarkStartedAsync(jobId, unmarked, cancellationToken).ConfigureAwait(false);
            }

            return (existing, null);
        }

        var claim = await claims.ClaimAsync(jobId, fingerprint, cancellationToken).ConfigureAwait(false);
        if (claim.Won)
        {
            return (null, claim);
        }

        if (claim.Fingerprint != fingerprint)
        {
            return (ScheduleOutcome.Conflict, null);
        }

        if (claim.Started)
        {
            // Started and since purged: the same request again is the same job, and is not paid for twice.
            return (ScheduleOutcome.AlreadyExists, null);
        }

        if (time.GetUtcNow() - claim.ClaimedAt < AbandonedClaimAfter)
        {
            return (await WaitForWinnerAsync(client, jobId, fingerprint, cancellationToken).ConfigureAwait(false), null);
        }

        // Unstarted, old, and no instance: its starter died before scheduling. Take it over, unless another starter just did.
        return await claims.TakeOverAsync(jobId, claim, cancellationToken).ConfigureAwait(false) is { } taken
            ? (null, taken)
            : (await WaitForWinnerAsync(client, jobId, fingerprint, cancellationToken).ConfigureAwait(false), null);
    }

    // The request that won the claim is staging images and scheduling; its job shows up within moments.
    private async Task<ScheduleOutcome> WaitForWinnerAsync(DurableTaskClient client, string jobId, string fingerprint, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            if (await ExistingAsync(client, jobId, fingerprint, cancellationToken).ConfigureAwait(false) is { } started)
            {
                return started;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken).ConfigureAwait(false);
        }

        return ScheduleOutcome.Starting;
    }

    private static async Task<ScheduleOutcome?> ExistingAsync(DurableTaskClient client, string jobId, string? fingerprint, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(jobId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        if (instance is null)
        {
            return null;
        }

        return instance.ReadInputAs<VideoJobInput>()?.RequestFingerprint == fingerprint ? ScheduleOutcome.AlreadyExists : ScheduleOutcome.Conflict;
    }

    private static partial class Log
    {
        [LoggerMessage(7103, LogLevel.Warning, "Job {JobId}: a start that failed before scheduling could not give back its claim and reservation; they stay until the day ends or the id is started again: {Problem}")]
        public static partial void NotGivenBack(ILogger logger, string jobId, string problem);
    }
}
