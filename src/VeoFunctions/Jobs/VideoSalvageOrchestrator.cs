using Microsoft.DurableTask;

namespace VeoFunctions.Jobs;

/// <summary>
/// Archives a video fal delivered after its job had ended without one (a webhook late past the deadline, a
/// partner model that finished despite a cancel, a lost submit answer found only by fal's own delivery). One run
/// per job, started by <see cref="FalWebhookIntake"/> when it claims the job's closed delivery record; the job's
/// status shows its progress (instance id <see cref="JobIds.SalvageIdFor"/>).
/// </summary>
public sealed class VideoSalvageOrchestrator : TaskOrchestrator<SalvageInput, VideoJobResult>
{
    public override async Task<VideoJobResult> RunAsync(TaskOrchestrationContext context, SalvageInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var plan = input.Plan;
        using var run = new JobRun(context, plan.JobId, plan.Timing, plan.CreatedAt, plan.Callback, salvage: true, cost: plan.PendingCost);
        run.Submitted(input.Fal);
        ArchivedVideo video;
        try
        {
            var delivered = FalVerdict.From(input.Delivered, new DateTimeOffset(run.Now, TimeSpan.Zero));
            video = VideoJobOrchestrator.Runs20(context)
                ? await Legacy.ArchivingV20.ArchiveAsync(run, input.Fal, delivered, plan)
                : await Archiving.ArchiveAsync(run, input.Fal, delivered, plan);
        }
        catch (JobFailedException)
        {
            await Reporting.ReportEndAsync(run, plan.Manifest);
            await Settling.RecordEndAsync(run);
            await Settling.SettleAsync(run, plan);
            throw;
        }

        run.Archived(video, JobPhase.Completed);
        await Settling.CleanUpAtFalAsync(run, input.Fal);
        await Reporting.ReportEndAsync(run, plan.Manifest);
        await Settling.RecordEndAsync(run);
        await Settling.SettleAsync(run, plan);
        return new VideoJobResult(input.Fal.RequestId, video);
    }
}
