using System.Diagnostics.Metrics;
using VeoFunctions.Jobs;

namespace VeoFunctions.Telemetry;

/// <summary>
/// The app's meter (<see cref="MeterName"/>): jobs started and ended by outcome and reason, uncertain submits,
/// adoptions, salvaged videos, spend (estimated and billed, USD) and fal's latency per phase. Recorded only by the doors
/// and the activities, never by orchestrator code, which replays: a replayed orchestrator would count again.
/// </summary>
public sealed class VeoMetrics : IDisposable
{
    public const string MeterName = "VeoFunctions";

    private readonly Meter _meter;
    private readonly Counter<long> _started;
    private readonly Counter<long> _ended;
    private readonly Counter<long> _uncertainSubmits;
    private readonly Counter<long> _adoptions;
    private readonly Counter<long> _salvaged;
    private readonly Counter<double> _estimatedUsd;
    private readonly Counter<double> _billedUsd;
    private readonly Histogram<double> _falLatency;

    public VeoMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(MeterName);
        _started = _meter.CreateCounter<long>("veo.jobs.started", "{job}", "Jobs started, by door (http, manifest).");
        _ended = _meter.CreateCounter<long>("veo.jobs.ended", "{job}", "Jobs ended, by outcome (completed, failed, cancelled) and reason (JobEndCause).");
        _uncertainSubmits = _meter.CreateCounter<long>("veo.fal.submits.uncertain", "{submit}", "Submits whose answer was lost: fal may have queued them.");
        _adoptions = _meter.CreateCounter<long>("veo.fal.requests.adopted", "{request}", "Requests found without the submit's answer, by how (webhook, list).");
        _salvaged = _meter.CreateCounter<long>("veo.videos.salvaged", "{video}", "Videos fal delivered after their job had ended, archived by a salvage run.");
        _estimatedUsd = _meter.CreateCounter<double>("veo.spend.estimated", "USD", "Estimates of the jobs started.");
        _billedUsd = _meter.CreateCounter<double>("veo.spend.billed", "USD", "What fal billed, from its billing events.");
        _falLatency = _meter.CreateHistogram<double>("veo.fal.latency", "s", "How long fal took, by phase: queued (submit to start), generating (start to its last word), total.");
    }

    public void JobStarted(string door, decimal estimatedUsd)
    {
        _started.Add(1, new KeyValuePair<string, object?>("door", door));
        _estimatedUsd.Add((double)estimatedUsd, new KeyValuePair<string, object?>("door", door));
    }

    public void JobEnded(JobPhase phase, JobEndCause cause) =>
        _ended.Add(1, new KeyValuePair<string, object?>("outcome", phase.ToString().ToLowerInvariant()), new KeyValuePair<string, object?>("reason", cause.ToString()));

    public void UncertainSubmit() => _uncertainSubmits.Add(1);

    public void Adopted(string how) => _adoptions.Add(1, new KeyValuePair<string, object?>("how", how));

    public void Salvaged() => _salvaged.Add(1);

    public void Billed(decimal usd) => _billedUsd.Add((double)usd);

    public void FalLatency(string phase, TimeSpan took) => _falLatency.Record(took.TotalSeconds, new KeyValuePair<string, object?>("phase", phase));

    public void Dispose() => _meter.Dispose();
}
