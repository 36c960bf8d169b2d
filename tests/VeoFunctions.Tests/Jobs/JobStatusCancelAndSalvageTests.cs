using Microsoft.DurableTask.Client;
using VeoFunctions.Jobs;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Jobs;

/// <summary>
/// What a caller is shown for a cancelled job, for a job whose video a salvage run archived after it ended, and for
/// a job working through a passing trouble.
/// </summary>
public sealed class JobStatusCancelAndSalvageTests
{
    private const string JobId = "fedcba9876543210fedcba9876543210";
    private static readonly DateTimeOffset Created = new(2025, 7, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Ended = Created.AddMinutes(40);
    private static readonly DateTimeOffset Salvaged = Created.AddMinutes(55);
    private static readonly ArchivedVideo Video = new("videos", $"{JobId}.mp4", new Uri($"https://store.example/videos/{JobId}.mp4"), $"{JobId}.json", 42, "video/mp4");
    private static readonly PhaseChange[] JobTimeline = [new(JobPhase.Validating, Created), new(JobPhase.Queued, Created.AddMinutes(1)), new(JobPhase.Failed, Ended)];
    private const string DidNotFinish = "fal did not finish the video within 00:30:00, so it was asked to stop.";

    private static OrchestrationMetadata Job(OrchestrationRuntimeStatus status, JobProgress progress, VideoJobResult? output = null) =>
        Instances.Of(nameof(VideoJobOrchestrator), JobId, status, Created, Ended, progress, output);

    private static OrchestrationMetadata Salvage(OrchestrationRuntimeStatus status, JobProgress progress, VideoJobResult? output = null) =>
        Instances.Of(nameof(VideoSalvageOrchestrator), JobIds.SalvageIdFor(JobId), status, Ended.AddMinutes(10), Salvaged, progress, output);

    private static OrchestrationMetadata FailedJob(string? requestId = "req-1") =>
        Job(OrchestrationRuntimeStatus.Failed, new JobProgress(JobPhase.Failed, requestId, Error: DidNotFinish, Timeline: JobTimeline));

    [Fact]
    public void ACancelledJob_ThatStillArchivedTheVideoFalBilled_IsCancelled_WithTheVideoAndTheNote()
    {
        const string note = "The job was cancelled by its caller, but fal finished the video anyway and billed it, so it is archived.";

        var status = JobStatus.From(Job(
            OrchestrationRuntimeStatus.Completed,
            new JobProgress(JobPhase.Cancelled, "req-1", Video: Video, Note: note),
            new VideoJobResult("req-1", Video)));

        Assert.Equal("cancelled", status.Phase);
        Assert.Equal(Video, status.Video);
        Assert.Null(status.Error);
        Assert.Equal(note, status.Note);
    }

    [Theory]
    [InlineData(OrchestrationRuntimeStatus.Failed)]
    [InlineData(OrchestrationRuntimeStatus.Terminated)]
    public void ACancelledJobWithoutAVideo_IsCancelled_NotFailed_WithItsReason(OrchestrationRuntimeStatus ended)
    {
        var status = JobStatus.From(Job(ended, new JobProgress(JobPhase.Cancelled, "req-1", Error: "The job was cancelled by its caller.")));

        Assert.Equal("cancelled", status.Phase);
        Assert.Equal("The job was cancelled by its caller.", status.Error);
        Assert.Null(status.Video);
    }

    [Fact]
    public void AJobThatEndedWithoutItsVideo_WhileItsSalvageRunArchives_IsArchiving_WithTheSalvagesTrouble()
    {
        var status = JobStatus.From(FailedJob(), Salvage(
            OrchestrationRuntimeStatus.Running,
            new JobProgress(JobPhase.Archiving, "req-1", LastError: "Archiving failed (CDN down); it is tried again soon.", Timeline: [new(JobPhase.Archiving, Salvaged)])));

        Assert.Equal("archiving", status.Phase);
        Assert.True(status.Salvaged);
        Assert.Null(status.Error);
        Assert.Null(status.Video);
        Assert.Equal("Archiving failed (CDN down); it is tried again soon.", status.LastError);
        Assert.Equal([.. JobTimeline, new(JobPhase.Archiving, Salvaged)], status.Timeline);
        Assert.Equal(Salvaged, status.LastUpdatedAt);
    }

    [Fact]
    public void AJobWhoseSalvageRunCompleted_IsCompleted_Salvaged_WithTheVideo_AndSaysWhatHappened()
    {
        var status = JobStatus.From(FailedJob(), Salvage(
            OrchestrationRuntimeStatus.Completed,
            new JobProgress(JobPhase.Completed, "req-1", Video: Video, LastError: "stale"),
            new VideoJobResult("req-1", Video)));

        Assert.Equal("completed", status.Phase);
        Assert.True(status.Salvaged);
        Assert.Equal(Video, status.Video);
        Assert.Equal("req-1", status.FalRequestId);
        Assert.Null(status.Error);
        Assert.Null(status.LastError);
        Assert.Equal($"{DidNotFinish.TrimEnd('.')}. fal delivered the video afterwards, and it was archived.", status.Note);
    }

    [Fact]
    public void AJobThatNeverLearntItsRequest_TakesTheRequestIdFromItsSalvageRun()
    {
        var status = JobStatus.From(FailedJob(requestId: null), Salvage(
            OrchestrationRuntimeStatus.Completed, new JobProgress(JobPhase.Completed, "req-found-late", Video: Video), new VideoJobResult("req-found-late", Video)));

        Assert.Equal("req-found-late", status.FalRequestId);
    }

    [Fact]
    public void ACancelledJobWhoseVideoWasSalvaged_StaysCancelled_WithTheVideo()
    {
        var cancelled = Job(OrchestrationRuntimeStatus.Failed, new JobProgress(JobPhase.Cancelled, "req-1", Error: "The job was cancelled by its caller."));

        var status = JobStatus.From(cancelled, Salvage(OrchestrationRuntimeStatus.Completed, new JobProgress(JobPhase.Completed, "req-1", Video: Video), new VideoJobResult("req-1", Video)));

        Assert.Equal("cancelled", status.Phase);
        Assert.Equal(Video, status.Video);
        Assert.True(status.Salvaged);
        Assert.Null(status.Error);
    }

    [Fact]
    public void AJobWhoseSalvageRunFailed_IsFailed_WithTheSalvagesReason()
    {
        var status = JobStatus.From(FailedJob(), Salvage(OrchestrationRuntimeStatus.Failed, new JobProgress(JobPhase.Failed, "req-1", Error: "fal's result is gone (404).")));

        Assert.Equal("failed", status.Phase);
        Assert.Equal("fal's result is gone (404).", status.Error);
        Assert.True(status.Salvaged);
        Assert.Null(status.Video);
    }

    [Fact]
    public void ACompletedJob_IgnoresASalvageRun()
    {
        var completed = Job(OrchestrationRuntimeStatus.Completed, new JobProgress(JobPhase.Completed, "req-1", Video: Video), new VideoJobResult("req-1", Video));

        var status = JobStatus.From(completed, Salvage(OrchestrationRuntimeStatus.Running, new JobProgress(JobPhase.Archiving, "req-1")));

        Assert.Equal("completed", status.Phase);
        Assert.False(status.Salvaged);
    }

    [Fact]
    public void ARunningJob_ShowsItsTroubleTimelineLogsAndNote()
    {
        PhaseChange[] timeline = [new(JobPhase.Validating, Created), new(JobPhase.Generating, Created.AddMinutes(2))];
        var progress = new JobProgress(JobPhase.Generating, "req-1", Timeline: timeline, LastError: "fal's status could not be read.", Logs: ["Generating video: 50%"], Note: "A note.");

        var status = JobStatus.From(Job(OrchestrationRuntimeStatus.Running, progress));

        Assert.Equal("generating", status.Phase);
        Assert.Equal("fal's status could not be read.", status.LastError);
        Assert.Equal(timeline, status.Timeline);
        Assert.Equal(["Generating video: 50%"], status.Logs);
        Assert.Equal("A note.", status.Note);
    }

    [Theory]
    [InlineData(OrchestrationRuntimeStatus.Completed)]
    [InlineData(OrchestrationRuntimeStatus.Failed)]
    [InlineData(OrchestrationRuntimeStatus.Terminated)]
    public void AnEndedJob_HidesAStaleTrouble(OrchestrationRuntimeStatus ended)
    {
        var progress = new JobProgress(JobPhase.Archiving, "req-1", Video: Video, Timeline: JobTimeline, LastError: "Archiving failed; it is tried again soon.");

        var status = JobStatus.From(Job(ended, progress, ended == OrchestrationRuntimeStatus.Completed ? new VideoJobResult("req-1", Video) : null));

        Assert.Null(status.LastError);
        Assert.Equal(JobTimeline, status.Timeline);
    }
}
