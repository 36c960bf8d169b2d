using System.Diagnostics;
using System.Net;
using Azure;
using Azure.Data.Tables;

namespace VeoFunctions.Money;

/// <summary>
/// The writes of one process to one day's budget, made by one writer at a time (group commit): the changes that wait
/// while a write is under way go together in the next one, a single table transaction with the totals row under its
/// ETag. A burst of concurrent starts then costs a few round trips, not a retry per start per rival; only writers in
/// other processes can still collide, and the loser reads again and decides again after a jittered pause.
/// </summary>
/// <remarks>
/// A change is a decision made on the day as read (<see cref="BudgetDay"/>), so it is made again whenever the write is
/// tried again. A change that has waited <c>maxWait</c> (<see cref="MoneyOptions.BudgetBusyAfter"/>) without being
/// written fails with <see cref="BudgetBusyException"/> (a 503 with Retry-After at the doors), never an error of the
/// server: one still queued is withdrawn, one whose group is being tried again is dropped from it, so nothing of it is
/// written. One whose write is on the wire is awaited: its answer decides.
/// </remarks>
internal sealed class BudgetDayWriter(DateOnly day, Func<Task<TableClient>> table, Func<TableClient, CancellationToken, Task> seedAsync, TimeSpan maxWait)
{
    /// <summary>The Table service's limit is 100 operations a transaction: the totals row and 99 jobs.</summary>
    public const int MaxJobs = 99;

    private readonly Lock _gate = new();
    private readonly List<IChange> _waiting = [];
    private bool _writing;

    private interface IChange
    {
        IReadOnlyCollection<string> JobIds { get; }

        long Deadline { get; }

        void Decide(BudgetDay day);

        void Complete();

        void Fail(Exception exception);
    }

    /// <summary>Decides on the day as it stands and writes what the decision changed; the decision's answer once written.</summary>
    public Task<T> WriteAsync<T>(IReadOnlyCollection<string> jobIds, Func<BudgetDay, T> decide, CancellationToken cancellationToken)
    {
        if (jobIds.Count > MaxJobs)
        {
            throw new ArgumentOutOfRangeException(nameof(jobIds), $"One write takes at most {MaxJobs} jobs.");
        }

        var change = new Change<T>(jobIds, decide, Stopwatch.GetTimestamp() + (long)(maxWait.TotalSeconds * Stopwatch.Frequency));
        bool start;
        lock (_gate)
        {
            _waiting.Add(change);
            start = !_writing;
            _writing = true;
        }

        if (start)
        {
            _ = Task.Run(WriteAllAsync, CancellationToken.None);
        }

        return AwaitAsync(change, cancellationToken);
    }

    // The caller may stop waiting; its change is still written (or refused) in turn, as if its answer were lost.
    private async Task<T> AwaitAsync<T>(Change<T> change, CancellationToken cancellationToken)
    {
        try
        {
            return await change.Task.WaitAsync(maxWait, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!change.Task.IsCompleted)
        {
            // Still queued behind a write that takes long (a slow or throttled table): withdrawn, so nothing of it is
            // written. One already taken into a write is awaited below; the group's own retries check the deadline.
            bool withdrawn;
            lock (_gate)
            {
                withdrawn = _waiting.Remove(change);
            }

            if (withdrawn)
            {
                throw new BudgetBusyException(day);
            }
        }

        return await change.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteAllAsync()
    {
        while (true)
        {
            List<IChange> group;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _writing = false;
                    return;
                }

                group = TakeGroup();
            }

            await WriteGroupAsync(group).ConfigureAwait(false);
        }
    }

    // The waiting changes in order, as many as one transaction holds, up to the first that touches a job already in it.
    private List<IChange> TakeGroup()
    {
        var group = new List<IChange>();
        var jobs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var change in _waiting)
        {
            if (jobs.Count + change.JobIds.Count > MaxJobs || change.JobIds.Any(jobs.Contains))
            {
                break;
            }

            group.Add(change);
            jobs.UnionWith(change.JobIds);
        }

        _waiting.RemoveRange(0, group.Count);
        return group;
    }

    private async Task WriteGroupAsync(List<IChange> group)
    {
        for (int attempt = 1; ; attempt++)
        {
            long now = Stopwatch.GetTimestamp();
            foreach (var late in group.Where(change => now > change.Deadline).ToList())
            {
                late.Fail(new BudgetBusyException(day));
                group.Remove(late);
            }

            if (group.Count == 0)
            {
                return;
            }

            try
            {
                var client = await table().ConfigureAwait(false);
                var read = await ReadAsync(client, group.SelectMany(change => change.JobIds).ToList()).ConfigureAwait(false);
                foreach (var change in group)
                {
                    change.Decide(read);
                }

                if (read.Changes() is { Count: > 0 } actions)
                {
                    await client.SubmitTransactionAsync(actions, CancellationToken.None).ConfigureAwait(false);
                }

                group.ForEach(change => change.Complete());
                return;
            }
            catch (RequestFailedException ex) when (IsCollision(ex))
            {
                // Another process wrote the day (or one of these jobs) first: read again and decide again.
                await Task.Delay(BackOff(attempt)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                group.ForEach(change => change.Fail(ex));
                return;
            }
        }
    }

    private async Task<BudgetDay> ReadAsync(TableClient client, IReadOnlyList<string> jobIds)
    {
        string partition = BudgetDay.Partition(day);
        var totals = await client.GetEntityIfExistsAsync<TableEntity>(partition, BudgetDay.TotalsKey).ConfigureAwait(false);
        if (!totals.HasValue)
        {
            await seedAsync(client, CancellationToken.None).ConfigureAwait(false);
            totals = await client.GetEntityIfExistsAsync<TableEntity>(partition, BudgetDay.TotalsKey).ConfigureAwait(false);
        }

        var rows = await Task.WhenAll(jobIds.Select(async jobId =>
        {
            var row = await client.GetEntityIfExistsAsync<TableEntity>(partition, jobId).ConfigureAwait(false);
            return row.HasValue ? row.Value : null;
        })).ConfigureAwait(false);
        return new BudgetDay(day, totals.Value!, rows, jobIds);
    }

    /// <summary>A write that lost to another writer: an ETag that no longer matches, or a row another writer inserted first.</summary>
    public static bool IsCollision(RequestFailedException ex) =>
        ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed
        || ex.ErrorCode is "UpdateConditionNotSatisfied" or "EntityAlreadyExists";

    // Writers that collide spread out, so that one of them wins each round. Real time, not the TimeProvider: only the
    // spread matters, and a test's frozen clock must not stall a losing writer.
    private static TimeSpan BackOff(int attempt) => TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10 + (Math.Min(attempt, 20) * 10)));

    private sealed class Change<T>(IReadOnlyCollection<string> jobIds, Func<BudgetDay, T> decide, long deadline) : IChange
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _answer = default!;

        public Task<T> Task => _done.Task;

        public IReadOnlyCollection<string> JobIds => jobIds;

        public long Deadline => deadline;

        public void Decide(BudgetDay day) => _answer = decide(day);

        public void Complete() => _done.TrySetResult(_answer);

        public void Fail(Exception exception) => _done.TrySetException(exception);
    }
}

/// <summary>
/// The day's budget could not be written in time: too many writers at once. Nothing was reserved; the doors answer
/// 503 with Retry-After. A <see cref="TimeoutException"/>, so a start's give-back treats it like any storage timeout.
/// </summary>
public sealed class BudgetBusyException(DateOnly day)
    : TimeoutException($"The daily budget for {day:yyyy-MM-dd} is busy: too many starts at once. Nothing was reserved; try again in a few seconds.")
{
    /// <summary>When to try again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);
}
