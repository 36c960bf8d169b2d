namespace VeoFunctions.IntegrationTests.ScaleOut;

/// <summary>
/// The partition table read every 250 ms in the background, so that who owned a job's control queue at any moment
/// (when its webhook landed, say) can be looked up afterwards. Disposing stops the reading; what was read stays.
/// </summary>
public sealed class PartitionTimeline : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<(DateTimeOffset At, IReadOnlyList<PartitionLease> Leases)> _snapshots = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    private PartitionTimeline(PartitionTable table) => _reading = ReadAsync(table, _stop.Token);

    public static PartitionTimeline Start(PartitionTable table) => new(table);

    /// <summary>The worker that held <paramref name="controlQueue"/> at <paramref name="at"/> (the last reading before it).</summary>
    public string? OwnerAt(string controlQueue, DateTimeOffset at)
    {
        lock (_gate)
        {
            for (int i = _snapshots.Count - 1; i >= 0; i--)
            {
                if (_snapshots[i].At <= at)
                {
                    return ScaleOutRig.OwnerOf(_snapshots[i].Leases, controlQueue);
                }
            }

            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reading;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task ReadAsync(PartitionTable table, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var at = DateTimeOffset.UtcNow;
            try
            {
                var leases = await table.ReadAsync(cancellationToken);
                lock (_gate)
                {
                    _snapshots.Add((at, leases));
                }
            }
            catch (Azure.RequestFailedException)
            {
                // Azurite busy: the next reading will do.
            }

            await Task.Delay(250, cancellationToken);
        }
    }
}
