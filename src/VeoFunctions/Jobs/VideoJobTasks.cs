using Microsoft.DurableTask;
using VeoFunctions.Jobs.Activities;

namespace VeoFunctions.Jobs;

/// <summary>The one list of the job's durable tasks, registered alike in the Function App and in tests.</summary>
public static class VideoJobTasks
{
    public static DurableTaskRegistry AddVideoJobTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<VideoJobOrchestrator>()
            .AddOrchestrator<VideoSalvageOrchestrator>()
            .AddActivity<FetchImage>()
            .AddActivity<UploadImageToFal>()
            .AddActivity<SubmitToFal>()
            .AddActivity<FindFalRequest>()
            .AddActivity<FindLostRequest>()
            .AddActivity<CheckFalStatus>()
            .AddActivity<FetchFalResult>()
            .AddActivity<CancelFalRequest>()
            .AddActivity<CloseWithoutVideo>()
            .AddActivity<RecordManifestOutcome>()
            .AddActivity<DeliverCallback>()
            .AddActivity<ArchiveVideo>()
            .AddActivity<DeleteFalPayloads>()
            .AddActivity<SettleJobCost>();
    }
}
