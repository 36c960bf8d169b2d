using System.Diagnostics;

namespace VeoFunctions.Bench;

/// <summary>
/// CPU time of a set of processes grouped by role (this process, the sidecars, the workers, Azurite), read every 100 ms
/// in the background, so that what was spent between two moments (first POST to last 202, say) can be looked up
/// afterwards. Processes come and go (a killed instance, its restart): each keeps its last reading.
/// </summary>
internal sealed class CpuMeter : IAsyncDisposable
{
    private readonly Func<IEnumerable<(string Role, int Pid)>> _processes;
    private readonly Dictionary<int, (string Role, TimeSpan Cpu)> _last = [];
    private readonly List<(DateTimeOffset At, Dictionary<string, TimeSpan> ByRole)> _samples = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;

    public CpuMeter(Func<IEnumerable<(string Role, int Pid)>> processes)
    {
        _processes = processes;
        Sample();
        _sampling = SampleAsync(_stop.Token);
    }

    /// <summary>CPU spent by each role between the readings nearest to <paramref name="from"/> and <paramref name="to"/>.</summary>
    public Dictionary<string, TimeSpan> Between(DateTimeOffset from, DateTimeOffset to)
    {
        lock (_gate)
        {
            var start = _samples.LastOrDefault(s => s.At <= from, _samples[0]).ByRole;
            var end = _samples.FirstOrDefault(s => s.At >= to, _samples[^1]).ByRole;
            return end.ToDictionary(p => p.Key, p => p.Value - start.GetValueOrDefault(p.Key));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _sampling;
        }
        catch (OperationCanceledException)
        {
        }

        Sample();
        _stop.Dispose();
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(100, cancellationToken);
            Sample();
        }
    }

    private void Sample()
    {
        var at = DateTimeOffset.UtcNow;
        lock (_gate)
        {
            foreach (var (role, pid) in _processes())
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    _last[pid] = (role, process.TotalProcessorTime);
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                {
                    // Gone (killed): its last reading stands.
                }
            }

            _samples.Add((at, _last.Values.GroupBy(v => v.Role).ToDictionary(g => g.Key, g => g.Aggregate(TimeSpan.Zero, (sum, v) => sum + v.Cpu))));
        }
    }
}
