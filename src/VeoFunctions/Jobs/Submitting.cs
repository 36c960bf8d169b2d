using Microsoft.DurableTask;
using VeoFunctions.Jobs.Activities;

namespace VeoFunctions.Jobs;

/// <summary>
/// The paid step: submit at most once per attempt; a lost answer is looked up (fal's webhook to this job's own
/// URL, fal's request list) and adopted. Only when fal's list proves it never queued the request is the job
/// submitted again, once.
/// </summary>
internal static class Submitting
{
    /// <summary>How many times a job may be submitted: a second time only once fal's list proved the first never queued.</summary>
    private const int MaxSubmitAttempts = 2;

    /// <summary>
    /// What the submit stage settled: the request fal is working on (and its webhook, if it came meanwhile), or,
    /// when fal's answer was lost and the request could not be found, why. An adopted request may well have finished
    /// already (fal's list shows requests once they end), so its first status check comes soon.
    /// </summary>
    public sealed record Submitted(FalJob? Fal, FalWebhookEvent? Delivered, string? Unresolved, bool Adopted = false);

    /// <summary>Submits the job, and settles a lost answer.</summary>
    public static async Task<Submitted> SubmitAsync(JobRun run, VideoJobInput job, string[] imageUrls)
    {
        run.Enter(JobPhase.Submitting);
        for (int attempt = 1; ; attempt++)
        {
            var submittedFrom = new DateTimeOffset(run.Now, TimeSpan.Zero);
            var submit = new SubmitToFalInput(job.JobId, job.Request, imageUrls, job.WebhookUrl, attempt, job.Timing.Deadline, job.Priority);
            var result = await run.Context.CallActivityAsync<SubmitResult>(nameof(SubmitToFal), submit, run.Retry);
            if (result.Accepted is { } accepted)
            {
                run.Submitted(accepted);
                return new Submitted(accepted, null, null);
            }

            run.Trouble(result.AnswerLost);
            var found = await FindLostRequestAsync(run, new LostRequestQuery(job.JobId, imageUrls, submittedFrom));
            if (found.Fal is not null || found.Unresolved is not null)
            {
                return found;
            }

            // fal's list shows it never queued the request, so nothing was billed.
            if (run.CancelRequested.IsCompleted)
            {
                throw run.End(JobPhase.Cancelled, "The job was cancelled by its caller while fal's answer to its submit was lost; fal's request list shows fal never queued it, so nothing was spent.", JobEndCause.Cancelled);
            }

            if (attempt == MaxSubmitAttempts)
            {
                throw run.End(JobPhase.Failed, $"fal's answers to {MaxSubmitAttempts} submits were lost and its request list shows it queued neither, so nothing was billed; the job was not submitted again.", JobEndCause.LostSubmit);
            }

            run.Note("fal's answer to the first submit was lost, and its request list showed fal never queued it (nothing was billed): the job was submitted again.");
        }
    }

    /// <summary>
    /// Waits for the lost request to show: fal's webhook names it (the door adopts it), or fal's request list lists
    /// it (the lookup adopts it). The list is taken to show a request only once it has ended, so its silence proves
    /// nothing until any request queued by the lost submit would have started (fal drops one that does not start
    /// within the start timeout we send, the deadline) and finished (<see cref="JobTiming.MaxGenerationTime"/>).
    /// A caller's cancel does not stop the search: a found request must be cancelled at fal.
    /// </summary>
    private static async Task<Submitted> FindLostRequestAsync(JobRun run, LostRequestQuery query)
    {
        var timing = run.Timing;
        DateTime provenAbsentAfter = query.SubmittedFrom.UtcDateTime + timing.Deadline + timing.MaxGenerationTime;
        DateTime giveUpAt = provenAbsentAfter + timing.Deadline;
        bool listenToWebhook = true;
        for (var interval = timing.FirstStatusCheck; ; interval = Min(interval * 2, timing.MaxStatusCheckInterval))
        {
            using var stopTimer = new CancellationTokenSource();
            var wake = run.Now + interval;
            if (run.Now < provenAbsentAfter && wake > provenAbsentAfter)
            {
                wake = provenAbsentAfter; // look again the moment silence becomes proof
            }

            var timer = run.Context.CreateTimer(wake, stopTimer.Token);
            var first = await Task.WhenAny(listenToWebhook ? new Task[] { run.Webhook, timer } : new Task[] { timer });
            if (first == run.Webhook)
            {
                stopTimer.Cancel();

                // The door recorded the request its delivery named before raising the event.
                var adopted = await run.Context.CallActivityAsync<FalJob?>(nameof(FindFalRequest), query.JobId, run.Retry);
                if (adopted is not null)
                {
                    run.Submitted(adopted);
                    return new Submitted(adopted, await run.Webhook, null, Adopted: true);
                }

                listenToWebhook = false;
                continue;
            }

            LostRequestLookup lookup;
            try
            {
                lookup = await run.Context.CallActivityAsync<LostRequestLookup>(nameof(FindLostRequest), query, run.Retry);
            }
            catch (TaskFailedException failed)
            {
                lookup = new LostRequestLookup(null, JobRun.Reason(failed));
            }

            if (lookup.Found is { } found)
            {
                run.Submitted(found);
                run.Trouble(null);
                return new Submitted(found, null, null, Adopted: true);
            }

            if (lookup.Error is null && run.Now >= provenAbsentAfter)
            {
                return new Submitted(null, null, null);
            }

            if (lookup.Error is not null)
            {
                run.Trouble($"fal's answer to the submit was lost, and its request list could not be read: {lookup.Error}");
                if (run.Now >= giveUpAt)
                {
                    run.StoppedByCaller = run.CancelRequested.IsCompleted;
                    return new Submitted(null, null,
                        $"fal's answer to the submit was lost and its request list could not be read ({lookup.Error}), so the job was not submitted again, to avoid billing twice. If fal ran it and delivers the video, the video is archived.");
                }
            }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a <= b ? a : b;
}
