using Microsoft.DurableTask;
using VeoFunctions.Archive;
using VeoFunctions.Jobs.Activities;

namespace VeoFunctions.Jobs;

/// <summary>
/// Gets a video fal finished into the user's storage, for a job and for a salvage run alike. fal keeps results for
/// weeks, so a failure here is never final while the result exists: each round is retried with a growing pause for
/// <see cref="JobTiming.ArchiveHorizon"/>, showing the last error; past it the job waits, still archiving, for a
/// resume (<c>POST /api/videos/{jobId}/resume</c>). A 404 from fal's CDN is not believed at once: the next round reads
/// fal's result again for the video's URL, and only <see cref="JobTiming.VideoNotFoundRounds"/> such rounds, or
/// fal's result API itself, make the result count as gone.
/// </summary>
internal static class Archiving
{
    // For a plan whose timings predate the setting (a salvage run of a job started by 2.0).
    private const int DefaultVideoNotFoundRounds = 4;

    public static async Task<ArchivedVideo> ArchiveAsync(JobRun run, FalJob fal, FalVerdict verdict, ArchivePlan plan)
    {
        run.Enter(JobPhase.Archiving);
        var video = verdict.Video;
        var timing = run.Timing;
        DateTime horizon = run.Now + timing.ArchiveHorizon;
        int notFoundRounds = 0;
        for (var pause = timing.FirstRetryInterval; ; pause = Min(pause * 2, timing.MaxArchiveRetryInterval))
        {
            string problem;
            try
            {
                if (video is null)
                {
                    var result = await run.Context.CallActivityAsync<FalOutcome>(nameof(FetchFalResult), fal, run.Retry);
                    if (!result.Succeeded)
                    {
                        throw run.End(JobPhase.Failed, result.Error ?? "fal completed the request but its result names no video.", JobEndCause.FalFailed);
                    }

                    video = result;
                }

                var archived = await run.Context.CallActivityAsync<ArchivedVideo>(nameof(ArchiveVideo), new ArchiveRequest(
                    plan.JobId, fal.RequestId, video.VideoUrl!, video.FileSize, plan.Request, plan.ReferenceImages, plan.CreatedAt, fal.SubmittedAt, video.CompletedAt, run.Cost), run.Retry);
                run.Trouble(null);
                return archived;
            }
            catch (TaskFailedException failed) when (failed.FailureDetails.ErrorType == typeof(VideoNotFoundException).FullName)
            {
                // The step's retries saw the CDN miss the file. Ask fal's result API for the video's URL next round.
                problem = $"fal's CDN did not find the video ({failed.FailureDetails.ErrorMessage}); fal's result is read again for its URL";
                video = null;
                if (++notFoundRounds >= (timing.VideoNotFoundRounds > 0 ? timing.VideoNotFoundRounds : DefaultVideoNotFoundRounds))
                {
                    throw run.End(JobPhase.Failed,
                        $"fal's CDN did not find the video in {notFoundRounds} rounds of retries, though fal's result still named it, so it counts as gone. fal keeps the result for weeks: POST /api/videos/{plan.JobId}/resume reads it again and archives the video once fal's CDN serves it.",
                        JobEndCause.ResultGone);
                }
            }
            catch (TaskFailedException failed) when (JobRun.IsJobFailure(failed.FailureDetails))
            {
                throw run.End(JobPhase.Failed, failed.FailureDetails.ErrorMessage, JobEndCause.ResultGone);
            }
            catch (TaskFailedException failed)
            {
                problem = JobRun.Reason(failed);
            }

            using var stopWaiting = new CancellationTokenSource();
            var resume = run.Context.WaitForExternalEvent<string>(VideoJobOrchestrator.ResumeArchiveEvent, stopWaiting.Token);
            if (run.Now >= horizon)
            {
                run.Trouble($"Archiving has kept failing for {Durations.Say(timing.ArchiveHorizon)} ({problem}); it waits for POST /api/videos/{plan.JobId}/resume to try again.");
                await resume;
                horizon = run.Now + timing.ArchiveHorizon;
                pause = timing.FirstRetryInterval;
                continue;
            }

            run.Trouble($"Archiving failed ({problem}); it is tried again at {run.Now + pause:O}.");
            var timer = run.Context.CreateTimer(run.Now + pause, stopWaiting.Token);
            await Task.WhenAny(timer, resume);
            stopWaiting.Cancel();
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a <= b ? a : b;
}
