using System.Net;
using System.Text.Json;
using FalEmulator;
using Grpc.Core;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Jobs;
using Xunit.Abstractions;

namespace VeoFunctions.IntegrationTests.Crash;

/// <summary>
/// What a paid video goes through where production's behaviour lives: the Azure Storage backend (in the sidecar),
/// a worker process that can die or be replaced by a deploy, and HTTP functions whose durable client refuses events
/// for ended instances as the Functions host does. Where fal's timing matters (a cancel that only requests, a video
/// that comes after the job ended), the emulator runs on a clock the test moves, so fal finishes exactly when the
/// test says, never by a race against the job's own timers.
/// </summary>
[Collection(ProductionBackendCollection.Name)]
public sealed class ProductionBackendTests(Azurite azurite, ITestOutputHelper output)
{
    // fal's generation on the test's clock: it ends only when the test advances the clock past it.
    private static readonly TimeSpan HeldGeneration = TimeSpan.FromSeconds(20);

    private static object Job(string prompt = "A lighthouse keeper feeds a seagull at dawn") => new
    {
        prompt,
        image_urls = new[] { TestImages.DataUri(TestImages.Png(16, 16)) },
        aspect_ratio = "16:9",
        resolution = "720p",
        generate_audio = false,
    };

    /// <summary>An emulator whose requests start at once and generate until the test moves <paramref name="clock"/>.</summary>
    internal static EmulatorOptions HeldByClock(FakeTimeProvider clock) => new()
    {
        TimeProvider = clock,
        QueueTime = TimeSpan.Zero,
        GenerationTime = HeldGeneration,
        ProgressLogLines = 1,
    };

    /// <summary>Lets fal finish the request: moves its clock until the generation's one wait has run out.</summary>
    internal static Task FinishGenerationAsync(FalEmulatorHost fal, FakeTimeProvider clock) =>
        CrashRig.WaitUntilAsync(() =>
        {
            if (fal.State.Submissions is [{ CompletedAt: null }])
            {
                clock.Advance(HeldGeneration); // again if the runner had not yet begun its wait
            }

            return Task.FromResult(fal.State.Submissions is [{ CompletedAt: not null }]);
        }, "fal finishing the request", pollMilliseconds: 100);

    private static bool HasTimeline(JsonElement status) =>
        status.TryGetProperty("timeline", out var timeline) && timeline.ValueKind == JsonValueKind.Array && timeline.GetArrayLength() > 0;

    private static async Task<int> CountVideosAsync(CrashRig rig) =>
        (await rig.Videos.GetBlobsAsync().ToListAsync()).Count(b => b.Name.EndsWith(".mp4", StringComparison.Ordinal));

    /// <summary>
    /// The versioning test. A job of the first release (no orchestration version) waits for fal; its worker is
    /// killed and the app is redeployed at 2.0 while fal finishes, so fal's webhook is refused and retried through
    /// the deploy. The new worker replays the old job on its own frozen steps (no version, no timeline, which only
    /// 2.0 writes) and archives it once; a job started after the deploy runs 2.0.
    /// </summary>
    [Fact]
    public async Task AJobOfTheFirstRelease_InFlightThroughADeploy_FinishesOnItsOwnSteps_AndNewJobsRunTheNewVersion()
    {
        await using var rig = await CrashRig.StartAsync(azurite, output, new EmulatorOptions
        {
            // fal keeps retrying for as long as a slow machine takes to redeploy (about 10 min at most), and no status
            // check comes due meanwhile: only the retried webhook can end the wait.
            WebhookMaxAttempts = 1200,
            WebhookRetryMaxDelay = TimeSpan.FromMilliseconds(500),
        }, configure: (_, settings) => settings["Jobs:FirstStatusCheck"] = "00:20:00", appVersion: null);
        rig.Fal.State.AddFault(FaultRule.Generation(FaultKind.Held)); // fal generates only once the worker is dead
        string oldJob = await rig.StartJobAsync(Job());
        await CrashRig.WaitUntilAsync(async () => await rig.GetPhaseAsync(oldJob) == "queued", "the first release's job waiting for fal", pollMilliseconds: 20);
        await rig.KillWorkerAsync();
        var oldWorker = rig.Worker!;
        Assert.Null(Assert.Single(rig.Fal.State.Submissions).CompletedAt);
        rig.Fal.State.ReleaseHeld();

        await rig.DeployAsync(VideoJobOrchestrator.Version, whileDown: () => CrashRig.WaitUntilAsync(
            () => Task.FromResult(rig.Fal.State.WebhookDeliveries.Any(d => !d.Succeeded)), "fal's webhook refused while the app is down", pollMilliseconds: 20));

        var done = await rig.WaitForJobAsync(oldJob);
        await rig.AssertArchivedAsync(oldJob, done);
        Assert.Equal("", await rig.OrchestrationVersionAsync(oldJob));
        Assert.False(HasTimeline((await rig.GetStatusAsync(oldJob))!.Value), "The first release's job ran the 2.0 story.");
        Assert.Equal(0, rig.Fal.State.GetCount(RequestKind.Status)); // fal's retried webhook, not polling, ended the wait
        Assert.Contains(rig.Fal.State.WebhookDeliveries, d => d.Succeeded);
        Assert.DoesNotContain(oldWorker.Output, line => line.Contains("ArchiveVideo", StringComparison.Ordinal));
        Assert.Contains(rig.Worker!.Output, line => line.Contains($"orchestration with ID '{oldJob}' completed", StringComparison.Ordinal));

        rig.Fal.State.Options.GenerationTime = TimeSpan.FromMilliseconds(500);
        string newJob = await rig.StartJobAsync(Job("A second clip, after the deploy"));
        var newDone = await rig.WaitForJobAsync(newJob);
        Assert.True(newDone.RuntimeStatus == OrchestrationRuntimeStatus.Completed, newDone.FailureDetails?.ErrorMessage);
        Assert.Equal(VideoJobOrchestrator.Version, await rig.OrchestrationVersionAsync(newJob));
        Assert.True(HasTimeline((await rig.GetStatusAsync(newJob))!.Value), "A job started after the deploy did not run the 2.0 story.");
        var newSubmission = Assert.Single(rig.SubmissionsOf(newJob));
        Assert.Equal(newSubmission.RequestId, (await (await rig.VideoBlobAsync(newJob)).GetPropertiesAsync()).Value.Metadata["falrequestid"]);
        Assert.Equal(2, rig.Fal.State.Submissions.Count);
        Assert.Equal(2, await CountVideosAsync(rig));
    }

    /// <summary>
    /// The job passes its deadline while fal generates; fal is asked to stop (it only requests that), the grace runs
    /// out and the job ends without its video. fal then finishes and bills it, and its webhook, in four concurrent
    /// copies, reaches a job the backend will no longer take events for. Every copy is answered 200, and exactly one
    /// salvage run archives fal's bytes.
    /// </summary>
    [Fact]
    public async Task AWebhookForAJobThatEndedWithoutItsVideo_IsAnswered200EveryTime_AndOneSalvageRunArchivesIt()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var emulator = HeldByClock(clock);
        emulator.Faults.Add(new FaultRule { Kind = FaultKind.WebhookDuplicate, Deliveries = 4, Count = 1 });
        await using var rig = await CrashRig.StartAsync(azurite, output, emulator, configure: (_, settings) =>
        {
            settings["Jobs:Deadline"] = "00:00:02";
            settings["Jobs:CancelGrace"] = "00:00:01";
        });
        string jobId = await rig.StartJobAsync(Job());

        var ended = await rig.WaitForJobAsync(jobId);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, ended.RuntimeStatus);
        var asked = Assert.Single(rig.Fal.State.Submissions);
        Assert.True(asked.CancelRequested, "The job did not ask fal to stop at its deadline.");
        Assert.Null(asked.CompletedAt);
        Assert.Empty(rig.Fal.State.WebhookDeliveries);

        await FinishGenerationAsync(rig.Fal, clock);
        await CrashRig.WaitUntilAsync(() => Task.FromResult(rig.Fal.State.WebhookDeliveries.Select(d => d.Copy).Distinct().Count() == 4), "every copy of fal's webhook");
        var salvaged = await rig.WaitForJobAsync(JobIds.SalvageIdFor(jobId));

        Assert.All(rig.Fal.State.WebhookDeliveries, d => Assert.Equal(200, d.StatusCode));
        Assert.Equal(4, rig.Fal.State.WebhookDeliveries.Count); // none needed a retry
        Assert.Equal(1, rig.Fal.State.GetCount(RequestKind.FileGet)); // one archive downloaded the video
        Assert.True(rig.Fal.State.GetSubmission(asked.RequestId)!.Billed);
        await rig.AssertArchivedAsync(jobId, salvaged);
        var status = (await rig.GetStatusAsync(jobId))!.Value;
        Assert.True(status.GetProperty("salvaged").GetBoolean());
        Assert.Equal(JsonValueKind.Object, status.GetProperty("video").ValueKind);
        Assert.Equal(1, await CountVideosAsync(rig));
        Assert.Equal(OrchestrationRuntimeStatus.Failed, (await rig.Client.GetInstanceAsync(jobId))!.RuntimeStatus);

        // The door did all this on a client that refuses events for the ended job, as the Functions host does.
        rig.Log($"events the door's client refused: {rig.Client.RefusedEvents}");
        var refused = await Assert.ThrowsAsync<RpcException>(() => rig.Client.RaiseEventAsync(jobId, VideoJobOrchestrator.FalWebhookEvent, null));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
    }

    /// <summary>
    /// A caller's cancel while fal generates a Veo clip only requests it: fal runs on, finishes and bills. The job
    /// waits (bounded) for fal's last word, archives the video fal still delivers, and shows <c>cancelled</c> with it.
    /// </summary>
    [Fact]
    public async Task ACallersCancel_WhileFalGenerates_OnlyRequestsIt_AndTheVideoFalStillDelivers_IsArchived()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var rig = await CrashRig.StartAsync(azurite, output, HeldByClock(clock), configure: (_, settings) => settings["Jobs:CancelGrace"] = "00:05:00");
        string jobId = await rig.StartJobAsync(Job());
        await CrashRig.WaitUntilAsync(async () => rig.Fal.State.Submissions is [{ StartedAt: not null }] && await rig.GetPhaseAsync(jobId) == "queued", "fal generating", pollMilliseconds: 20);

        using (var cancel = await rig.Http.PostAsync(new Uri($"/api/videos/{jobId}/cancel", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        // fal answered CANCELLATION_REQUESTED; the job says what that means and waits for what fal does.
        await CrashRig.WaitUntilAsync(async () => (await rig.GetStatusAsync(jobId))?.GetProperty("note").GetString()?.Contains("may still finish", StringComparison.Ordinal) == true,
            "the job waiting for fal's last word", pollMilliseconds: 20);
        Assert.True(rig.Fal.State.Submissions[0].CancelRequested);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await rig.Client.GetInstanceAsync(jobId))!.RuntimeStatus);

        await FinishGenerationAsync(rig.Fal, clock);
        var done = await rig.WaitForJobAsync(jobId);

        await rig.AssertArchivedAsync(jobId, done, phase: "cancelled");
        Assert.Equal(1, rig.Fal.State.GetCount(RequestKind.Cancel));
        Assert.True(rig.Fal.State.Submissions[0].Billed);
        var status = (await rig.GetStatusAsync(jobId))!.Value;
        Assert.Equal(JsonValueKind.Object, status.GetProperty("video").ValueKind);
        Assert.Contains("archived", status.GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.Null(await rig.Client.GetInstanceAsync(JobIds.SalvageIdFor(jobId)));
    }

    /// <summary>Five concurrent copies of fal's webhook, racing the job to its end: all answered 2xx, one archive, one submission.</summary>
    [Fact]
    public async Task FiveConcurrentCopiesOfFalsWebhook_AreAllAnswered2xx_AndTheVideoIsArchivedOnce()
    {
        var emulator = new EmulatorOptions();
        emulator.Faults.Add(new FaultRule { Kind = FaultKind.WebhookDuplicate, Deliveries = 5, Count = 1 });
        await using var rig = await CrashRig.StartAsync(azurite, output, emulator);
        string jobId = await rig.StartJobAsync(Job());

        var done = await rig.WaitForJobAsync(jobId);
        await CrashRig.WaitUntilAsync(() => Task.FromResult(rig.Fal.State.WebhookDeliveries.Select(d => d.Copy).Distinct().Count() == 5), "every copy of fal's webhook");

        Assert.All(rig.Fal.State.WebhookDeliveries, d => Assert.True(d.Succeeded && d.StatusCode is >= 200 and < 300, $"copy {d.Copy} was answered {d.StatusCode} {d.Error}"));
        Assert.Equal(1, rig.Fal.State.GetCount(RequestKind.FileGet)); // one archive downloaded the video
        await rig.AssertArchivedAsync(jobId, done);
        Assert.Equal(1, await CountVideosAsync(rig));
        Assert.Null(await rig.Client.GetInstanceAsync(JobIds.SalvageIdFor(jobId)));
    }

    /// <summary>
    /// fal's CDN is down for longer than the archive horizon: the job parks, still <c>archiving</c>, waiting for a
    /// resume. Its worker dies meanwhile and another starts; once the CDN is back, <c>POST …/resume</c> archives it.
    /// </summary>
    [Fact]
    public async Task AJobParkedArchiving_OutlivesItsWorker_AndAResumeArchivesItOnceTheCdnIsBack()
    {
        var emulator = new EmulatorOptions();
        emulator.Faults.Add(FaultRule.CallHttpError(RequestKind.FileGet, 503, count: null));
        await using var rig = await CrashRig.StartAsync(azurite, output, emulator, configure: (_, settings) => settings["Jobs:ArchiveHorizon"] = "00:00:00.500");
        string jobId = await rig.StartJobAsync(Job());
        await CrashRig.WaitUntilAsync(async () => (await rig.GetStatusAsync(jobId))?.GetProperty("lastError").GetString()?.Contains("/resume", StringComparison.Ordinal) == true,
            "the job parked, waiting for a resume", pollMilliseconds: 50);
        Assert.Equal("archiving", await rig.GetPhaseAsync(jobId));

        await rig.KillWorkerAsync();
        rig.Fal.State.ClearFaults();
        await rig.StartWorkerAsync();
        Assert.Equal("archiving", await rig.GetPhaseAsync(jobId));
        Assert.False(await (await rig.VideoBlobAsync(jobId)).ExistsAsync());

        using (var resume = await rig.Http.PostAsync(new Uri($"/api/videos/{jobId}/resume", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, resume.StatusCode);
        }

        var done = await rig.WaitForJobAsync(jobId);
        await rig.AssertArchivedAsync(jobId, done);
        Assert.Contains(rig.Worker!.Output, line => line.Contains($"orchestration with ID '{jobId}' completed", StringComparison.Ordinal));
    }
}
