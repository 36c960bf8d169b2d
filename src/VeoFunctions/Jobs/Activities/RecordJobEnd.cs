using Microsoft.DurableTask;
using VeoFunctions.Telemetry;

namespace VeoFunctions.Jobs.Activities;

/// <summary>How a job ended, for its metrics: the phase, why, and the timeline fal's latency is read from.</summary>
public sealed record JobEndRecord(string JobId, JobPhase Phase, JobEndCause Cause, string? FalRequestId, DateTimeOffset? SubmittedAt, IReadOnlyList<PhaseChange> Timeline);

/// <summary>
/// Counts a job's end by outcome and reason, and records how long fal took: queued (submit to the first sign it
/// started, when a status check saw one), generating (from then to fal's last word), total (submit to fal's last word).
/// An activity because metrics must never be recorded by orchestrator code, which replays.
/// </summary>
public sealed class RecordJobEnd(VeoMetrics metrics) : TaskActivity<JobEndRecord, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, JobEndRecord input)
    {
        ArgumentNullException.ThrowIfNull(input);
        metrics.JobEnded(input.Phase, input.Cause);
        if (input.SubmittedAt is { } submitted)
        {
            // fal's last word is when the job moved on: to archiving, or straight to its end.
            var lastWord = input.Timeline.FirstOrDefault(p => p.Phase is JobPhase.Archiving or JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled && p.At >= submitted);
            var generating = input.Timeline.FirstOrDefault(p => p.Phase == JobPhase.Generating);
            if (generating is not null)
            {
                metrics.FalLatency("queued", generating.At - submitted);
                if (lastWord is not null)
                {
                    metrics.FalLatency("generating", lastWord.At - generating.At);
                }
            }

            if (lastWord is not null)
            {
                metrics.FalLatency("total", lastWord.At - submitted);
            }
        }

        return Task.FromResult(true);
    }
}
