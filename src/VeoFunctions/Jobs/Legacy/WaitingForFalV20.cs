using Fal.Queue;
using Microsoft.DurableTask;
using VeoFunctions.Jobs.Activities;

namespace VeoFunctions.Jobs.Legacy;

/// <summary>
/// Waiting for fal's last word on a request, and stopping it at fal when the job gives up on it.
/// </summary>
/// <remarks>
/// Version 2.0's steps, frozen when 2.1 raced the status check against the webhook and re-read fal's result on a CDN
/// 404: 2.0 instances replay exactly these (docs/design.md, "Deploying a change to the story"). Delete with 2.0.
/// </remarks>
internal static class WaitingForFalV20
{
    /// <summary>
    /// Waits for fal's last word on the request: its webhook, raced against a timer that asks fal for status with a
    /// growing interval. A status check that fails is a trouble to show, never the end. Past the deadline, or on
    /// the caller's cancel, fal is asked to stop; for a partner model like Veo that is only a request, so the job
    /// then waits (bounded by <see cref="JobTiming.CancelGrace"/>) for what fal finally says, and a video fal still
    /// delivers is archived.
    /// </summary>
    public static async Task<FalVerdict> WaitAsync(JobRun run, FalJob fal, FalWebhookEvent? delivered, bool adopted)
    {
        if (delivered is not null)
        {
            return FalVerdict.From(delivered, new DateTimeOffset(run.Now, TimeSpan.Zero));
        }

        run.Enter(JobPhase.Queued, fal.QueuePosition);
        var timing = run.Timing;
        DateTime deadline = run.Now + timing.Deadline;
        DateTime? stopBy = null;
        string? stopped = null;
        for (var interval = adopted ? timing.FirstRetryInterval : timing.FirstStatusCheck; ; interval = Min(interval * 2, timing.MaxStatusCheckInterval))
        {
            if (stopBy is null && (run.CancelRequested.IsCompleted || run.Now >= deadline))
            {
                bool byCaller = run.CancelRequested.IsCompleted;
                var (finished, note) = await AskFalToStopAsync(run, fal, byCaller);
                if (finished is not null)
                {
                    return finished;
                }

                stopBy = run.Now + timing.CancelGrace;
                stopped = byCaller
                    ? "The job was cancelled by its caller."
                    : $"fal did not finish the video within {Durations.Say(timing.Deadline)}, so it was asked to stop.";
                run.Note(note); // what stopping can still cost; the error says why the job stopped
                interval = timing.FirstRetryInterval;
            }

            using var stopTimer = new CancellationTokenSource();
            var timer = run.Context.CreateTimer(Min(run.Now + interval, stopBy ?? deadline), stopTimer.Token);
            var first = await Task.WhenAny(stopBy is null ? new Task[] { run.Webhook, timer, run.CancelRequested } : new Task[] { run.Webhook, timer });
            if (first != timer)
            {
                stopTimer.Cancel();
            }

            if (first == run.Webhook)
            {
                return Stopped(FalVerdict.From(await run.Webhook, new DateTimeOffset(run.Now, TimeSpan.Zero)), stopped);
            }

            if (first != timer)
            {
                continue; // the caller's cancel: handled at the top
            }

            if (stopBy is { } end && run.Now >= end)
            {
                return FalVerdict.Unknown($"{stopped} fal had not said how it ended after {Durations.Say(timing.CancelGrace)}; if it still delivers the video, the video is archived.");
            }

            if (stopBy is null && run.Now >= deadline)
            {
                continue; // ask fal to stop, at the top
            }

            if (await CheckStatusAsync(run, fal) is { } progress)
            {
                if (progress.Completed)
                {
                    return Stopped(FalVerdict.From(progress), stopped);
                }

                if (stopBy is null)
                {
                    run.Enter(progress.Started ? JobPhase.Generating : JobPhase.Queued, progress.QueuePosition, progress.Logs);
                }
            }
        }
    }

    /// <summary>
    /// Asks fal to stop the request. A finished one needs no cancel and its result is the verdict; otherwise the
    /// cancel is sent and the note says what it can achieve: a queued request is removed unbilled, a running one may
    /// still finish and be billed.
    /// </summary>
    private static async Task<(FalVerdict? Finished, string Note)> AskFalToStopAsync(JobRun run, FalJob fal, bool byCaller)
    {
        var before = await CheckStatusAsync(run, fal);
        if (before is { Completed: true })
        {
            if (byCaller)
            {
                run.Note("The cancel came after fal had finished the request.");
            }

            return (FalVerdict.From(before), "");
        }

        run.StoppedByCaller = byCaller;
        FalCancelOutcome? answer;
        try
        {
            answer = await run.Context.CallActivityAsync<FalCancelOutcome>(nameof(CancelFalRequest), fal, run.Retry);
        }
        catch (TaskFailedException failed)
        {
            run.Trouble($"fal could not be asked to stop the request: {JobRun.Reason(failed)}");
            answer = null;
        }

        if (answer == FalCancelOutcome.AlreadyCompleted && await CheckStatusAsync(run, fal) is { Completed: true } after)
        {
            run.StoppedByCaller = false;
            return (FalVerdict.From(after), "");
        }

        string note = answer is null ? "fal could not be reached to stop it; the job waits for what fal says."
            : before is { Started: false } ? "fal had not started it, so it is removed from fal's queue and nothing is billed."
            : "fal was asked to stop it; Veo may still finish and bill it, and then the video is archived.";
        return (null, note);
    }

    /// <summary>fal's status, or null when it could not be read (shown as a trouble; the wait goes on).</summary>
    private static async Task<FalProgress?> CheckStatusAsync(JobRun run, FalJob fal)
    {
        try
        {
            var progress = await run.Context.CallActivityAsync<FalProgress>(nameof(CheckFalStatus), fal, run.Retry);
            run.Trouble(null);
            return progress;
        }
        catch (TaskFailedException failed)
        {
            run.Trouble($"fal's status could not be read: {JobRun.Reason(failed)}");
            return null;
        }
    }

    // A verdict reached after fal was asked to stop says so.
    private static FalVerdict Stopped(FalVerdict verdict, string? stopped) =>
        stopped is null || verdict.Kind != FalVerdictKind.Failed ? verdict : verdict with { Reason = $"{stopped} fal ended it: {verdict.Reason}" };

    private static T Min<T>(T a, T b) where T : IComparable<T> => a.CompareTo(b) <= 0 ? a : b;
}
