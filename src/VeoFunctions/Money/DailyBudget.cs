using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VeoFunctions.Storage;

namespace VeoFunctions.Money;

/// <summary>
/// The optional daily spending cap (<see cref="MoneyOptions.DailyBudgetUsd"/>, per UTC day). A job reserves its
/// estimate before anything reaches fal; when it ends, fal's billed cost replaces the estimate, or the reservation is
/// released if nothing was billed. Each day is one partition of the budget table (<see cref="StorageTables"/>): a row
/// per job and a totals row, changed together in one transaction under the totals' ETag, so concurrent starts can never
/// together reserve more than the limit and each start costs the same few requests however busy the day
/// (<see cref="BudgetDayWriter"/>). Entries are keyed by job id: reserving for a job that already holds a reservation (a
/// replayed start, a redelivered manifest) takes no more room; a released entry is no reservation, so reserving it
/// again needs room like a new one.
/// </summary>
/// <remarks>
/// A reservation names its holder: the start that last reserved it. Only that start may give it back
/// (<see cref="ReleaseAsync"/>), and only while it is still a reservation, so a start that failed cannot release what
/// another start of the same job id (a retry that took its claim over) now relies on, nor a job's settled cost.
/// Days written by the release before the table (one blob per day, <see cref="BlobName"/>) count from that blob: the
/// first write of such a day closes the blob to that release and copies its live entries into the table, once.
/// </remarks>
public sealed partial class DailyBudget(BlobContainers containers, StorageTables tables, IOptions<MoneyOptions> options, TimeProvider time, ILogger<DailyBudget> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly ConcurrentDictionary<DateOnly, BudgetDayWriter> _writers = new();

    /// <summary>True when a daily budget is configured.</summary>
    public bool Enabled => options.Value.DailyBudgetUsd is not null;

    /// <summary>The UTC day a job starting now counts against.</summary>
    public DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    /// <summary>The day's blob of the release before the budget table: read, and closed to that release once (<see cref="SeedAsync"/>).</summary>
    public static string BlobName(DateOnly day) => $"budget/{day:yyyy-MM-dd}.json";

    /// <summary>
    /// The entry that closes a day's blob to the earlier release: job ids are letters and digits, so it names no job,
    /// and it reserves more than any budget may be (<see cref="MoneyOptions.DailyBudgetUsd"/> is at most 1e9).
    /// </summary>
    public const string LegacyClosedKey = "~table";

    private const decimal LegacyClosedUsd = 1_000_000_000_000m;

    /// <summary>
    /// Reserves every job's estimate for <paramref name="holder"/>, or none of them when together they do not fit in what
    /// is left of the day. A job already reserved takes no more room and passes to this holder; a job whose entry was
    /// released (its start failed) or never made needs room; a job already spent is left as it is.
    /// </summary>
    /// <remarks>
    /// More jobs than one transaction holds are reserved a transaction's worth at a time, and what was reserved is given
    /// back when a later part is refused: the limit holds throughout, and meanwhile the batch's room is only held early.
    /// </remarks>
    public async Task<BudgetReservation> ReserveAsync(DateOnly day, IReadOnlyList<(string JobId, decimal Usd)> jobs, CancellationToken cancellationToken, string? holder = null)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        decimal limit = options.Value.DailyBudgetUsd ?? throw new InvalidOperationException("No daily budget is configured.");
        var parts = jobs.DistinctBy(job => job.JobId).Chunk(BudgetDayWriter.MaxJobs).ToList();
        if (parts.Count == 0)
        {
            return new BudgetReservation(true, await ReadAsync(day, cancellationToken).ConfigureAwait(false), [], 0);
        }

        var created = new List<string>();
        decimal reserved = 0;
        BudgetReservation? answer = null;
        for (int i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            answer = await Writer(day).WriteAsync(part.Select(job => job.JobId).ToList(), read => Reserve(read, part, holder, limit), cancellationToken).ConfigureAwait(false);
            if (!answer.Reserved)
            {
                await Task.WhenAll(created.Select(jobId => Writer(day).WriteAsync([jobId], read => Release(read, jobId, holder), CancellationToken.None))).ConfigureAwait(false);
                decimal needed = reserved + answer.NeededUsd + parts.Skip(i + 1).SelectMany(rest => rest).Sum(job => job.Usd);
                return answer with { NeededUsd = needed };
            }

            created.AddRange(answer.Created);
            reserved += answer.NeededUsd;
        }

        return answer! with { Created = created, NeededUsd = reserved };
    }

    /// <summary>
    /// Gives back <paramref name="holder"/>'s reservation of a job that certainly did not start. Changes nothing when the
    /// entry is not a reservation any more or another start holds it now.
    /// </summary>
    public Task ReleaseAsync(DateOnly day, string jobId, string holder, CancellationToken cancellationToken) =>
        Writer(day).WriteAsync([jobId], read => Release(read, jobId, holder), cancellationToken);

    /// <summary>
    /// Settles a job's entry on the day it reserved: <paramref name="billed"/> makes it spent (fal's
    /// <paramref name="actualUsd"/> when known, else its estimate), otherwise it is released. A job with no entry
    /// there (the budget was turned on after it started) gets one when it was billed, so the day's spend stays true.
    /// </summary>
    public Task SettleAsync(DateOnly day, string jobId, decimal estimateUsd, decimal? actualUsd, bool billed, CancellationToken cancellationToken) =>
        Writer(day).WriteAsync([jobId], read =>
        {
            var entry = read[jobId];
            if (entry is null && !billed)
            {
                return false;
            }

            var settled = new BudgetEntry(entry?.EstimatedUsd ?? estimateUsd, billed ? actualUsd : null, billed ? BudgetEntry.Spent : BudgetEntry.Released, time.GetUtcNow());
            if (entry is not null && entry.State == settled.State && entry.ActualUsd == settled.ActualUsd)
            {
                return false;
            }

            var before = Snapshot(read, options.Value.DailyBudgetUsd);
            read.Set(jobId, settled);
            WarnIfNearlySpent(before, Snapshot(read, options.Value.DailyBudgetUsd));
            return true;
        }, cancellationToken);

    /// <summary>The day's budget as it stands: one read of its totals (or of the earlier release's blob for a day the table has not seen).</summary>
    public async Task<BudgetSnapshot> ReadAsync(DateOnly day, CancellationToken cancellationToken)
    {
        var table = await tables.BudgetAsync().ConfigureAwait(false);
        var totals = await table.GetEntityIfExistsAsync<TableEntity>(BudgetDay.Partition(day), BudgetDay.TotalsKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        var read = totals.HasValue
            ? new BudgetDay(day, totals.Value!, [], [])
            : LegacyDay(day, await ReadLegacyAsync(day, cancellationToken).ConfigureAwait(false));
        return Snapshot(read, options.Value.DailyBudgetUsd);
    }

    private BudgetDayWriter Writer(DateOnly day) =>
        _writers.GetOrAdd(day, d => new BudgetDayWriter(d, tables.BudgetAsync, (table, ct) => SeedAsync(table, d, ct), options.Value.BudgetBusyAfter));

    private BudgetReservation Reserve(BudgetDay read, IReadOnlyList<(string JobId, decimal Usd)> jobs, string? holder, decimal limit)
    {
        var before = Snapshot(read, limit);
        var fresh = jobs.Where(job => read[job.JobId] is null or { State: BudgetEntry.Released }).ToList();
        var handedOver = jobs.Where(job => read[job.JobId] is { State: BudgetEntry.Reserved } entry && entry.Holder != holder).ToList();
        decimal needed = fresh.Sum(job => job.Usd);
        if (fresh.Count == 0 && (handedOver.Count == 0 || holder is null))
        {
            return new BudgetReservation(true, before, [], 0);
        }

        if (needed > 0 && before.CommittedUsd + needed > limit) // a hand-over takes no room: never refused, even on a day over its (lowered) limit
        {
            Log.Refused(logger, read.Day, needed, before.RemainingUsd ?? 0, limit);
            return new BudgetReservation(false, before, [], needed);
        }

        var now = time.GetUtcNow();
        foreach (var (jobId, usd) in fresh)
        {
            read.Set(jobId, new BudgetEntry(usd, null, BudgetEntry.Reserved, now, holder));
        }

        foreach (var (jobId, _) in handedOver)
        {
            read.Set(jobId, read[jobId]! with { Holder = holder, UpdatedAt = now });
        }

        var after = Snapshot(read, limit);
        WarnIfNearlySpent(before, after);
        return new BudgetReservation(true, after, fresh.Select(job => job.JobId).ToList(), needed);
    }

    private bool Release(BudgetDay read, string jobId, string? holder)
    {
        if (read[jobId] is not { State: BudgetEntry.Reserved } entry || entry.Holder != holder)
        {
            return false;
        }

        read.Set(jobId, entry with { State = BudgetEntry.Released, UpdatedAt = time.GetUtcNow() });
        return true;
    }

    private BudgetSnapshot Snapshot(BudgetDay read, decimal? limit)
    {
        var resetsAt = new DateTimeOffset(read.Day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return new BudgetSnapshot(read.Day, limit, read.ReservedUsd, read.SpentUsd, limit is { } cap ? Math.Max(0, cap - read.ReservedUsd - read.SpentUsd) : null, read.Jobs, resetsAt, time.GetUtcNow());
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

    /// <summary>
    /// Starts a day the table has no totals for: from the earlier release's blob of that day when there is one (its
    /// reserved and spent entries become rows, so their holders can release and their jobs settle), else from nothing.
    /// </summary>
    /// <remarks>
    /// During a rolling deploy (or after a rollback) instances of the earlier release still admit starts against the blob
    /// alone, so the blob is closed first (<see cref="CloseLegacyAsync"/>): from then on that release finds the day full and
    /// admits nothing more, while its holders can still release and its jobs settle. The rows come from the blob as
    /// closed, and the totals from the rows the table actually holds, so seeders racing each other (one read the blob
    /// before an earlier-release settle, one after) can never leave a row the totals do not count.
    /// </remarks>
    private async Task SeedAsync(TableClient table, DateOnly day, CancellationToken cancellationToken)
    {
        var legacy = await CloseLegacyAsync(day, cancellationToken).ConfigureAwait(false);
        string partition = BudgetDay.Partition(day);
        if ((await table.GetEntityIfExistsAsync<TableEntity>(partition, BudgetDay.TotalsKey, cancellationToken: cancellationToken).ConfigureAwait(false)).HasValue)
        {
            return; // another process seeded the day meanwhile: a row added now would be one its totals do not count
        }

        var live = legacy.Where(entry => entry.Value.State is BudgetEntry.Reserved or BudgetEntry.Spent).ToList();
        foreach (var part in live.Chunk(BudgetDayWriter.MaxJobs + 1))
        {
            if (!await TryInsertAsync(table, part.Select(entry => BudgetDay.ToEntity(partition, entry.Key, entry.Value)), cancellationToken).ConfigureAwait(false))
            {
                // Another process is seeding the same day: insert what it has not yet, one by one.
                foreach (var (jobId, entry) in part)
                {
                    await TryInsertAsync(table, [BudgetDay.ToEntity(partition, jobId, entry)], cancellationToken).ConfigureAwait(false);
                }
            }
        }

        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.RowKey != BudgetDay.TotalsKey)
            {
                rows.Add(row);
            }
        }

        var counted = LegacyDay(day, rows.ToDictionary(row => row.RowKey, BudgetDay.ToEntry, StringComparer.Ordinal));

        await TryInsertAsync(table, [BudgetDay.Totals(partition, counted.ReservedUsd, counted.SpentUsd, counted.Jobs)], cancellationToken).ConfigureAwait(false);
        if (legacy.Count > 0)
        {
            Log.Seeded(logger, day, legacy.Count, counted.ReservedUsd, counted.SpentUsd);
        }
    }

    /// <summary>
    /// Closes the earlier release's blob of the day to that release, once, under its ETag (or creating it, for a day it
    /// has not written): an entry that reserves more than any budget (<see cref="LegacyClosedKey"/>), so an instance of
    /// that release still running (a rolling deploy, a rollback) refuses every new start of the day instead of admitting
    /// it against a budget the table no longer sees. Returns the day's entries as closed, without that entry.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, BudgetEntry>> CloseLegacyAsync(DateOnly day, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        var blob = container.GetBlobClient(BlobName(day));
        while (true)
        {
            var (jobs, etag) = await ReadLegacyDocumentAsync(day, cancellationToken).ConfigureAwait(false);
            if (jobs.ContainsKey(LegacyClosedKey))
            {
                return jobs.Where(entry => entry.Key != LegacyClosedKey).ToDictionary();
            }

            var closed = new Dictionary<string, BudgetEntry>(jobs) { [LegacyClosedKey] = new(LegacyClosedUsd, null, BudgetEntry.Reserved, time.GetUtcNow(), "budget-table") };
            try
            {
                await blob.UploadAsync(
                    BinaryData.FromObjectAsJson(new LegacyDocument(day, closed), Json),
                    new BlobUploadOptions
                    {
                        HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                        Conditions = etag is { } match ? new BlobRequestConditions { IfMatch = match } : new BlobRequestConditions { IfNoneMatch = ETag.All },
                    },
                    cancellationToken).ConfigureAwait(false);
                return jobs;
            }
            catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
            {
                // The earlier release (or another seeder) wrote the blob meanwhile: read it again.
            }
        }
    }

    // False when a row already exists: someone else wrote it first.
    private static async Task<bool> TryInsertAsync(TableClient table, IEnumerable<TableEntity> rows, CancellationToken cancellationToken)
    {
        try
        {
            await table.SubmitTransactionAsync(rows.Select(row => new TableTransactionAction(TableTransactionActionType.Add, row)), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (BudgetDayWriter.IsCollision(ex))
        {
            return false;
        }
    }

    private static BudgetDay LegacyDay(DateOnly day, IReadOnlyDictionary<string, BudgetEntry> legacy)
    {
        string partition = BudgetDay.Partition(day);
        var read = new BudgetDay(day, BudgetDay.Totals(partition, 0, 0, 0), [], legacy.Keys);
        foreach (var (jobId, entry) in legacy)
        {
            read.Set(jobId, entry);
        }

        return read;
    }

    private async Task<IReadOnlyDictionary<string, BudgetEntry>> ReadLegacyAsync(DateOnly day, CancellationToken cancellationToken) =>
        (await ReadLegacyDocumentAsync(day, cancellationToken).ConfigureAwait(false)).Jobs.Where(entry => entry.Key != LegacyClosedKey).ToDictionary();

    private async Task<(Dictionary<string, BudgetEntry> Jobs, ETag? ETag)> ReadLegacyDocumentAsync(DateOnly day, CancellationToken cancellationToken)
    {
        var container = await containers.WorkAsync().ConfigureAwait(false);
        try
        {
            var content = await container.GetBlobClient(BlobName(day)).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return (content.Value.Content.ToObjectFromJson<LegacyDocument>(Json)?.Jobs ?? [], content.Value.Details.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return ([], null);
        }
    }

    // The earlier release's day: one blob with every job's entry.
    private sealed record LegacyDocument(DateOnly Day, Dictionary<string, BudgetEntry> Jobs);

    private static partial class Log
    {
        [LoggerMessage(7101, LogLevel.Warning, "Daily budget for {Day}: a job needing {NeededUsd} USD was refused; {RemainingUsd} USD of {BudgetUsd} USD remain")]
        public static partial void Refused(ILogger logger, DateOnly day, decimal neededUsd, decimal remainingUsd, decimal budgetUsd);

        [LoggerMessage(7102, LogLevel.Warning, "Daily budget nearly spent for {Day}: {CommittedUsd} USD of {BudgetUsd} USD reserved or spent")]
        public static partial void NearlySpent(ILogger logger, DateOnly day, decimal committedUsd, decimal budgetUsd);

        [LoggerMessage(7105, LogLevel.Information, "Daily budget for {Day} starts from the earlier release's blob: {Entries} entries, {ReservedUsd} USD reserved, {SpentUsd} USD spent")]
        public static partial void Seeded(ILogger logger, DateOnly day, int entries, decimal reservedUsd, decimal spentUsd);
    }
}
