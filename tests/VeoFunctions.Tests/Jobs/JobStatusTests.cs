using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using VeoFunctions.Jobs;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Jobs;

public sealed class JobStatusTests
{
    private const string JobId = "0123456789abcdef0123456789abcdef";
    private static readonly DateTimeOffset Created = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Updated = Created.AddMinutes(3);

    private static readonly ArchivedVideo Video = new("videos", $"{JobId}/video.mp4", new Uri($"https://store.example/videos/{JobId}/video.mp4"), $"{JobId}/manifest.json", 1234567, "video/mp4");

    private static OrchestrationMetadata Instance(OrchestrationRuntimeStatus status, JobProgress? progress = null, VideoJobResult? output = null, TaskFailureDetails? failure = null) =>
        Instances.Of(nameof(VideoJobOrchestrator), JobId, status, Created, Updated, progress, output, failure);

    [Fact]
    public void APendingJobWithoutCustomStatus_IsValidating()
    {
        var status = JobStatus.From(Instance(OrchestrationRuntimeStatus.Pending));

        Assert.Equal(new JobStatus(JobId, "validating", Created, Updated, null, null, null, null), status);
    }

    [Fact]
    public void ARunningJobWithoutCustomStatus_IsValidating() =>
        Assert.Equal("validating", JobStatus.From(Instance(OrchestrationRuntimeStatus.Running)).Phase);

    [Theory]
    [InlineData(JobPhase.Uploading, "uploading")]
    [InlineData(JobPhase.Submitting, "submitting")]
    [InlineData(JobPhase.Archiving, "archiving")]
    public void ARunningJob_ReportsItsCustomStatusPhase(JobPhase phase, string expected) =>
        Assert.Equal(expected, JobStatus.From(Instance(OrchestrationRuntimeStatus.Running, new JobProgress(phase))).Phase);

    [Fact]
    public void AQueuedJob_ReportsFalsRequestIdAndQueuePosition()
    {
        var status = JobStatus.From(Instance(OrchestrationRuntimeStatus.Running, new JobProgress(JobPhase.Queued, "req-1", 3, SubmittedAt: Created)));

        Assert.Equal(new JobStatus(JobId, "queued", Created, Updated, "req-1", 3, null, null), status);
    }

    [Fact]
    public void AGeneratingJob_HidesAStaleQueuePosition()
    {
        var status = JobStatus.From(Instance(OrchestrationRuntimeStatus.Running, new JobProgress(JobPhase.Generating, "req-1", 3)));

        Assert.Equal(new JobStatus(JobId, "generating", Created, Updated, "req-1", null, null, null), status);
    }

    [Fact]
    public void ACompletedJob_ReportsTheArchivedVideoAndRequestIdFromItsOutput()
    {
        var status = JobStatus.From(Instance(
            OrchestrationRuntimeStatus.Completed,
            new JobProgress(JobPhase.Completed, "req-1", Video: Video),
            new VideoJobResult("req-1", Video)));

        Assert.Equal(new JobStatus(JobId, "completed", Created, Updated, "req-1", null, Video, null), status);
    }

    [Fact]
    public void ACompletedJob_PrefersItsOutputOverAStaleCustomStatus()
    {
        var status = JobStatus.From(Instance(
            OrchestrationRuntimeStatus.Completed,
            new JobProgress(JobPhase.Archiving, "stale-request"),
            new VideoJobResult("req-1", Video)));

        Assert.Equal("completed", status.Phase);
        Assert.Equal("req-1", status.FalRequestId);
        Assert.Equal(Video, status.Video);
    }

    [Fact]
    public void AFailedJob_ReportsTheErrorFromItsCustomStatus()
    {
        var status = JobStatus.From(Instance(
            OrchestrationRuntimeStatus.Failed,
            new JobProgress(JobPhase.Failed, "req-1", Error: "fal reported an error (content_policy_violation): flagged."),
            failure: new TaskFailureDetails(typeof(JobFailedException).FullName!, "wrapped", null, null, null)));

        Assert.Equal(new JobStatus(JobId, "failed", Created, Updated, "req-1", null, null, "fal reported an error (content_policy_violation): flagged."), status);
    }

    [Fact]
    public void AFailedJobWithoutCustomStatus_ReportsTheFailureDetailsMessage()
    {
        var status = JobStatus.From(Instance(
            OrchestrationRuntimeStatus.Failed,
            failure: new TaskFailureDetails("System.InvalidOperationException", "The orchestrator crashed.", null, null, null)));

        Assert.Equal("failed", status.Phase);
        Assert.Equal("The orchestrator crashed.", status.Error);
    }

    [Fact]
    public void AFailedJobWithNeitherCustomStatusNorFailureDetails_StillGivesAReason()
    {
        var status = JobStatus.From(Instance(OrchestrationRuntimeStatus.Failed));

        Assert.Equal("failed", status.Phase);
        Assert.False(string.IsNullOrWhiteSpace(status.Error));
    }

    [Fact]
    public void ATerminatedJob_IsFailedWithAStoppedMessage_AndNoQueuePosition()
    {
        var status = JobStatus.From(Instance(OrchestrationRuntimeStatus.Terminated, new JobProgress(JobPhase.Queued, "req-1", 5)));

        Assert.Equal(new JobStatus(JobId, "failed", Created, Updated, "req-1", null, null, "The job was stopped before it finished."), status);
    }

    [Fact]
    public void APhaseIsReportedInLowerCase_AsTheApiDocumentsIt() =>
        Assert.All(Enum.GetValues<JobPhase>().Where(p => p is not JobPhase.Completed and not JobPhase.Failed), phase =>
            Assert.Equal(phase.ToString().ToLowerInvariant(), JobStatus.From(Instance(OrchestrationRuntimeStatus.Running, new JobProgress(phase))).Phase));

    [Fact]
    public void PhasesAreWrittenInLowerCase_AndTheFirstReleasesPascalCaseIsStillRead()
    {
        var written = FakeDurableClient.Converter.Serialize(new JobProgress(JobPhase.Queued, Timeline: [new PhaseChange(JobPhase.Generating, Created)]));
        var legacy = FakeDurableClient.Converter.Deserialize<JobProgress>("""{"Phase":"Generating","FalRequestId":"req-1"}""");

        Assert.Contains("\"queued\"", written, StringComparison.Ordinal);
        Assert.Contains("\"generating\"", written, StringComparison.Ordinal);
        Assert.Equal(JobPhase.Generating, legacy!.Phase);
    }
}
