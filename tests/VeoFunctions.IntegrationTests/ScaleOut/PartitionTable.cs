using System.Text;
using Azure;
using Azure.Data.Tables;

namespace VeoFunctions.IntegrationTests.ScaleOut;

/// <summary>One control-queue partition's lease, as the task hub's partition table holds it.</summary>
/// <param name="Partition">The control queue's name (<c>{hub}-control-00</c>…), the row key.</param>
/// <param name="Owner">The worker id listening to the queue; null while nobody holds it.</param>
/// <param name="NextOwner">A worker that asked for it (balancing): the owner drains, then releases.</param>
public sealed record PartitionLease(string Partition, string? Owner, string? NextOwner, bool IsDraining, DateTimeOffset? OwnedSince, DateTimeOffset? ExpiresAt)
{
    /// <summary>Held by one worker and not moving.</summary>
    public bool IsSettled => Owner is not null && NextOwner is null && !IsDraining;
}

/// <summary>
/// Reads the leases of a task hub's control-queue partitions: the table <c>{hub}Partitions</c> that
/// DurableTask.AzureStorage keeps when <c>UseTablePartitionManagement</c> is on (host.json
/// <c>useTablePartitionManagement</c>). Each sidecar renews its rows every 10 s (<c>LeaseAcquireInterval</c>) for 30 s
/// (<c>LeaseInterval</c>); a dead one's rows are claimed by another once they expire.
/// </summary>
public sealed class PartitionTable(string connectionString, string taskHub)
{
    private readonly TableClient _table = new TableServiceClient(connectionString).GetTableClient(taskHub + "Partitions");

    public async Task<IReadOnlyList<PartitionLease>> ReadAsync(CancellationToken cancellationToken = default)
    {
        var leases = new List<PartitionLease>();
        try
        {
            await foreach (var row in _table.QueryAsync<TableEntity>(cancellationToken: cancellationToken))
            {
                leases.Add(new PartitionLease(
                    row.RowKey,
                    row.GetString("CurrentOwner"),
                    row.GetString("NextOwner"),
                    row.GetBoolean("IsDraining") ?? false,
                    row.GetDateTimeOffset("OwnedSince"),
                    row.GetDateTimeOffset("ExpiresAt")));
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No sidecar has created the task hub yet.
        }

        return leases.OrderBy(l => l.Partition, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Every partition settled on one of <paramref name="workers"/>, each of them holding its share (the counts differ
    /// by at most one, as the table partition manager balances them).
    /// </summary>
    public static bool IsBalanced(IReadOnlyList<PartitionLease> leases, int partitionCount, IReadOnlyCollection<string> workers)
    {
        ArgumentNullException.ThrowIfNull(leases);
        ArgumentNullException.ThrowIfNull(workers);
        if (leases.Count != partitionCount || leases.Any(l => !l.IsSettled || !workers.Contains(l.Owner!)))
        {
            return false;
        }

        var counts = workers.Select(w => leases.Count(l => l.Owner == w)).ToList();
        return counts.Max() - counts.Min() <= 1;
    }

    /// <summary>"worker-1: control-00, control-02; worker-2: control-01" (for logs).</summary>
    public static string Describe(IReadOnlyList<PartitionLease> leases) =>
        string.Join("; ", leases.GroupBy(l => l.Owner ?? "(none)").OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(l => l.Partition[(l.Partition.LastIndexOf('-') + 1)..] + (l.NextOwner is { } next ? $"→{next}" : "") + (l.IsDraining ? " (draining)" : "")))}"));

    /// <summary>
    /// The control queue an orchestration instance's messages go to: DurableTask.AzureStorage picks it as
    /// FNV-1a(UTF-8 instance id) mod partition count (<c>AzureStorageOrchestrationService.GetControlQueueAsync</c>,
    /// <c>Fnv1aHashHelper</c>). Fixed for the life of a task hub (changing it would strand every running instance),
    /// which is why the partition count cannot change once a hub is in use.
    /// </summary>
    public static string ControlQueueOf(string taskHub, string instanceId, int partitionCount)
    {
        ArgumentNullException.ThrowIfNull(taskHub);
        ArgumentNullException.ThrowIfNull(instanceId);
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(instanceId))
        {
            hash = unchecked((hash ^ b) * 16777619);
        }

        return $"{taskHub.ToLowerInvariant()}-control-{hash % (uint)partitionCount:00}";
    }
}
