using System.Net;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Storage;

namespace VeoFunctions.Money;

/// <summary>
/// The optional daily spending cap (<see cref="MoneyOptions.DailyBudgetUsd"/>, per UTC day). A job reserves its
/// estimate before anything reaches fal; when it ends, fal's billed cost replaces the estimate, or the reservation is
/// released if nothing was billed. Each day is one blob, <c>budget/{yyyy-MM-dd}.json</c> in the work container, with
/// one entry per job, updated by a conditional write on its ETag and redone when another writer got there first, so
/// concurrent starts can never together reserve more than the limit. Entries are keyed by job id: reserving for a job
/// that already holds a reservation (a replayed start, a redelivered manifest) changes nothing.
/// </summary>
public sealed partial class DailyBudget(BlobContainers containers, IOptions<MoneyOptions> options, TimeProvider time, ILogger<DailyBudget> logger)
{
    private const int MaxWriteAttempts = 500;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>True when a daily budget is configured.</summary>
    public bool Enabled => options.Value.DailyBudgetUsd is not null;

    /// <summary>The UTC day a job starting now counts against.</summary>
    public DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    public static string BlobName(DateOnly day) => $"budget/{day:yyyy-MM-dd}.json";

    /// <summary>Reserves every job's estimate, or none of them when together they do not fit in what is left of the day.</summary>
    public async Task<BudgetReservation> ReserveAsync(DateOnly day, IReadOnlyList<(string JobId, decimal Usd)> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        decimal limit = options.Value.DailyBudgetUsd ?? throw new InvalidOperationException("No daily budget is configured.");
        for (int attempt = 1; ; attempt++)
        {
            var (document, etag) = await ReadDocumentAsync(day, cancellationToken).ConfigureAwait(false);
            var before = Snapshot(day, document, limit);
            // A released entry is a start that failed and gave its reservation back: starting it again reserves again.
            var fresh = jobs.Where(job => document.Jobs.GetValueOrDefault(job.JobId) is null or { State: BudgetEntry.Released }).DistinctBy(job => job.JobId).ToList();
            decimal needed = fresh.Sum(job => job.Usd);
            if (fresh.Count == 0)
            {
                return new BudgetReservation(true, before, [], 0);
            }

            if (before.CommittedUsd + needed > limit)
            {
                Log.Refused(logger, day, needed, before.RemainingUsd ?? 0, limit);
                return new BudgetReservation(false, before, [], needed);
            }

            var now = time.GetUtcNow();
            foreach (var (jobId, usd) in fresh)
            {
                document.Jobs[jobId] = new BudgetEntry(usd, null, BudgetEntry.Reserved, now);
            }

            if (await TryWriteAsync(day, document, etag, cancellationToken).ConfigureAwait(false))
            {
                var after = Snapshot(day, document, limit);
                WarnIfNearlySpent(before, after);
                return new BudgetReservation(true, after, fresh.Select(job => job.JobId).ToList(), needed);
            }

            await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Settles a job's entry on the day it reserved: <paramref name="billed"/> makes it spent (fal's
    /// <paramref name="actualUsd"/> when known, else its estimate), otherwise it is released. A job with no entry
    /// there (the budget was turned on after it started) gets one when it was billed, so the day's spend stays true.
    /// </summary>
    public async Task SettleAsync(DateOnly day, string jobId, decimal estimateUsd, decimal? actualUsd, bool billed, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            var (document, etag) = await ReadDocumentAsync(day, cancellationToken).ConfigureAwait(false);
            var entry = document.Jobs.GetValueOrDefault(jobId);
            if (entry is null && !billed)
            {
                return;
            }

            var settled = new BudgetEntry(entry?.EstimatedUsd ?? estimateUsd, billed ? actualUsd : null, billed ? BudgetEntry.Spent : BudgetEntry.Released, time.GetUtcNow());
            if (entry is not null && entry.State == settled.State && entry.ActualUsd == settled.ActualUsd)
            {
                return;
            }

            var before = Snapshot(day, document, options.Value.DailyBudgetUsd);
            document.Jobs[jobId] = settled;
            if (await TryWriteAsync(day, document, etag, cancellationToken).ConfigureAwait(false))
            {
                WarnIfNearlySpent(before, Snapshot(day, document, options.Value.DailyBudgetUsd));
                return;
            }

            await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The day's budget as it stands.</summary>
    public async Task<BudgetSnapshot> ReadAsync(DateOnly day, CancellationToken cancellationToken) =>
        Snapshot(day, (await ReadDocumentAsync(day, cancellationToken).ConfigureAwait(false)).Document, options.Value.DailyBudgetUsd);

    private BudgetSnapshot Snapshot(DateOnly day, BudgetDocument document, decimal? limit)
    {
        decimal reserved = document.Jobs.Values.Where(e => e.State == BudgetEntry.Reserved).Sum(e => e.EstimatedUsd);
        decimal spent = document.Jobs.Values.Where(e => e.State == BudgetEntry.Spent).Sum(e => e.ActualUsd ?? e.EstimatedUsd);
        var resetsAt = new DateTimeOffset(day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return new BudgetSnapshot(day, limit, reserved, spent, limit is { } cap ? Math.Max(0, cap - reserved - spent) : null, document.Jobs.Count, resetsAt, time.GetUtcNow());
    }

    private void WarnIfNearlySpent(BudgetSnapshot before, BudgetSnapshot after)
    {
        if (after.BudgetUsd is { } limit && limit > 0)
        {
            decimal threshold = limit * (decimal)options.Value.BudgetWarningFraction;
            if (before.CommittedUsd < threshold && after.CommittedUsd >= threshold)
            {
                Log.NearlySpent(logger, after.Day, after.CommittedUsd, limit);
            }
        }
    }

    private async Task<(BudgetDocument Document, ETag? ETag)> ReadDocumentAsync(DateOnly day, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        try
        {
            var content = await container.GetBlobClient(BlobName(day)).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return (content.Value.Content.ToObjectFromJson<BudgetDocument>(Json) ?? new BudgetDocument(day, []), content.Value.Details.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return (new BudgetDocument(day, []), null);
        }
    }

    // False when another writer changed the day first: read again and decide again.
    private async Task<bool> TryWriteAsync(DateOnly day, BudgetDocument document, ETag? etag, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        try
        {
            await container.GetBlobClient(BlobName(day)).UploadAsync(
                BinaryData.FromObjectAsJson(document, Json),
                new BlobUploadOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                    Conditions = etag is { } match ? new BlobRequestConditions { IfMatch = match } : new BlobRequestConditions { IfNoneMatch = ETag.All },
                },
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
        {
            return false;
        }
    }

    // Writers that collide spread out, so that one of them wins each round. Real time, not the TimeProvider: only the
    // spread matters, and a test's frozen clock must not stall a losing writer.
    private static Task BackOffAsync(int attempt, CancellationToken cancellationToken)
    {
        if (attempt >= MaxWriteAttempts)
        {
            throw new InvalidOperationException($"The daily budget could not be updated after {attempt} attempts: too many concurrent writers.");
        }

        return Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10 + (Math.Min(attempt, 20) * 5))), cancellationToken);
    }

    private sealed record BudgetDocument(DateOnly Day, Dictionary<string, BudgetEntry> Jobs);

    private sealed record BudgetEntry(decimal EstimatedUsd, decimal? ActualUsd, string State, DateTimeOffset UpdatedAt)
    {
        public const string Reserved = "reserved";
        public const string Spent = "spent";
        public const string Released = "released";
    }

    private static partial class Log
    {
        [LoggerMessage(7101, LogLevel.Warning, "Daily budget for {Day}: a job needing {NeededUsd} USD was refused; {RemainingUsd} USD of {BudgetUsd} USD remain")]
        public static partial void Refused(ILogger logger, DateOnly day, decimal neededUsd, decimal remainingUsd, decimal budgetUsd);

        [LoggerMessage(7102, LogLevel.Warning, "Daily budget nearly spent for {Day}: {CommittedUsd} USD of {BudgetUsd} USD reserved or spent")]
        public static partial void NearlySpent(ILogger logger, DateOnly day, decimal committedUsd, decimal budgetUsd);
    }
}
