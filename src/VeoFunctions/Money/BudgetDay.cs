using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace VeoFunctions.Money;

/// <summary>
/// One UTC day of the budget as a write sees it: the day's totals row and the rows of the jobs the write touches, read
/// with their ETags. Changing a job's row moves the totals with it, so the two can never disagree; <see cref="Changes"/>
/// is the one table transaction that makes the changes, each conditional on what was read.
/// </summary>
internal sealed class BudgetDay
{
    /// <summary>The totals row's key; job ids are letters and digits, so it names no job.</summary>
    public const string TotalsKey = "~totals";

    private readonly string _partition;
    private readonly ETag _totalsETag;
    private readonly Dictionary<string, (BudgetEntry? Entry, ETag? ETag)> _rows;
    private readonly HashSet<string> _changed = [];
    private readonly (decimal Reserved, decimal Spent, int Jobs) _read;

    public BudgetDay(DateOnly day, TableEntity totals, IEnumerable<TableEntity?> rows, IEnumerable<string> jobIds)
    {
        Day = day;
        _partition = Partition(day);
        _totalsETag = totals.ETag;
        ReservedUsd = Usd(totals, "ReservedUsd") ?? 0;
        SpentUsd = Usd(totals, "SpentUsd") ?? 0;
        Jobs = totals.GetInt32("Jobs") ?? 0;
        _read = (ReservedUsd, SpentUsd, Jobs);
        var found = rows.OfType<TableEntity>().ToDictionary(row => row.RowKey, StringComparer.Ordinal);
        _rows = jobIds.Distinct(StringComparer.Ordinal).ToDictionary(
            id => id,
            id => found.TryGetValue(id, out var row) ? (ToEntry(row), (ETag?)row.ETag) : ((BudgetEntry?)null, (ETag?)null),
            StringComparer.Ordinal);
    }

    public DateOnly Day { get; }

    public decimal ReservedUsd { get; private set; }

    public decimal SpentUsd { get; private set; }

    public int Jobs { get; private set; }

    public static string Partition(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A job's entry as read (or as changed by this write); null when the day has none.</summary>
    public BudgetEntry? this[string jobId] => _rows.TryGetValue(jobId, out var row)
        ? row.Entry
        : throw new InvalidOperationException($"Job {jobId} was not read for this write.");

    public void Set(string jobId, BudgetEntry entry)
    {
        var (old, etag) = _rows[jobId];
        (ReservedUsd, SpentUsd) = (ReservedUsd - Reserved(old) + Reserved(entry), SpentUsd - Spent(old) + Spent(entry));
        Jobs += old is null ? 1 : 0;
        _rows[jobId] = (entry, etag);
        _changed.Add(jobId);
    }

    /// <summary>The write: each changed row inserted (none was read) or replaced under its ETag, and the totals under theirs when they moved.</summary>
    public IReadOnlyList<TableTransactionAction> Changes()
    {
        var actions = new List<TableTransactionAction>(_changed.Count + 1);
        foreach (string jobId in _changed)
        {
            var (entry, etag) = _rows[jobId];
            var entity = ToEntity(_partition, jobId, entry!);
            actions.Add(etag is { } match
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, match)
                : new TableTransactionAction(TableTransactionActionType.Add, entity));
        }

        if ((ReservedUsd, SpentUsd, Jobs) != _read)
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace, Totals(_partition, ReservedUsd, SpentUsd, Jobs), _totalsETag));
        }

        return actions;
    }

    public static TableEntity Totals(string partition, decimal reservedUsd, decimal spentUsd, int jobs) => new(partition, TotalsKey)
    {
        ["ReservedUsd"] = reservedUsd.ToString(CultureInfo.InvariantCulture),
        ["SpentUsd"] = spentUsd.ToString(CultureInfo.InvariantCulture),
        ["Jobs"] = jobs,
    };

    // Money as invariant text: the Table service has no decimal type, and a double would drift.
    public static TableEntity ToEntity(string partition, string jobId, BudgetEntry entry) => new(partition, jobId)
    {
        ["State"] = entry.State,
        ["EstimatedUsd"] = entry.EstimatedUsd.ToString(CultureInfo.InvariantCulture),
        ["ActualUsd"] = entry.ActualUsd?.ToString(CultureInfo.InvariantCulture),
        ["Holder"] = entry.Holder,
        ["UpdatedAt"] = entry.UpdatedAt,
    };

    public static BudgetEntry ToEntry(TableEntity row) =>
        new(Usd(row, "EstimatedUsd") ?? 0, Usd(row, "ActualUsd"), row.GetString("State"), row.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue, row.GetString("Holder"));

    private static decimal? Usd(TableEntity entity, string name) =>
        entity.GetString(name) is { Length: > 0 } text ? decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture) : null;

    private static decimal Reserved(BudgetEntry? entry) => entry is { State: BudgetEntry.Reserved } ? entry.EstimatedUsd : 0;

    private static decimal Spent(BudgetEntry? entry) => entry is { State: BudgetEntry.Spent } ? entry.ActualUsd ?? entry.EstimatedUsd : 0;
}

/// <summary>A job's entry on its day: reserved (by <see cref="Holder"/>, the start that last reserved it), spent, or released.</summary>
internal sealed record BudgetEntry(decimal EstimatedUsd, decimal? ActualUsd, string State, DateTimeOffset UpdatedAt, string? Holder = null)
{
    public const string Reserved = "reserved";
    public const string Spent = "spent";
    public const string Released = "released";
}
