using Microsoft.DurableTask;
using VeoFunctions.Jobs.Activities;

namespace VeoFunctions.Jobs;

/// <summary>
/// The one list of the job's durable tasks, registered alike in the Function App and in tests. Each activity runs in
/// its job's logging scope (<see cref="ScopedActivity"/>).
/// </summary>
public static class VideoJobTasks
{
    public static DurableTaskRegistry AddVideoJobTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<VideoJobOrchestrator>()
            .AddOrchestrator<VideoSalvageOrchestrator>()
            .AddScopedActivity<FetchImage>()
            .AddScopedActivity<UploadImageToFal>()
            .AddScopedActivity<SubmitToFal>()
            .AddScopedActivity<FindFalRequest>()
            .AddScopedActivity<FindLostRequest>()
            .AddScopedActivity<CheckFalStatus>()
            .AddScopedActivity<FetchFalResult>()
            .AddScopedActivity<CancelFalRequest>()
            .AddScopedActivity<CloseWithoutVideo>()
            .AddScopedActivity<RecordManifestOutcome>()
            .AddScopedActivity<DeliverCallback>()
            .AddScopedActivity<ArchiveVideo>()
            .AddScopedActivity<DeleteFalPayloads>()
            .AddScopedActivity<SettleJobCost>()
            .AddScopedActivity<RecordJobEnd>();
    }

    private static DurableTaskRegistry AddScopedActivity<TActivity>(this DurableTaskRegistry registry) where TActivity : class, ITaskActivity =>
        registry.AddActivity(typeof(TActivity).Name, ScopedActivity.For<TActivity>());
}
