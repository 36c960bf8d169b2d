using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using FalEmulator;
using Microsoft.DurableTask.Client;
using VeoFunctions.IntegrationTests.Infrastructure;
using Xunit.Abstractions;
using VeoFunctions.Testing;

namespace VeoFunctions.IntegrationTests.Crash;

/// <summary>
/// The worker process is SIGKILLed at a precise step of a job (found by watching fal's emulator and the job's
/// own blobs, never by hooks in the app), then started again. Whatever the step, the job still ends archived,
/// fal saw exactly one submission, and the archived blob is complete. The durable backend is the production
/// one (DurableTask.AzureStorage on Azurite) in a sidecar process; see <see cref="CrashRig"/>.
/// </summary>
[Collection(ProductionBackendCollection.Name)]
public sealed class WorkerCrashTests(Azurite azurite, ITestOutputHelper output)
{
    private static object Job() => new
    {
        prompt = "A chimpanzee in overalls plays with butterflies",
        image_urls = new[] { TestImages.DataUri(TestImages.Png(16, 16)) },
        aspect_ratio = "16:9",
        resolution = "720p",
        generate_audio = false,
        seed = 7,
    };

    [Fact]
    public async Task Killed_WhileUploadingImages_BeforeSubmit_RestartedWorker_SubmitsOnceAndArchives()
    {
        await using var rig = await CrashRig.StartAsync(azurite, output);
        string jobId = await rig.StartJobAsync(Job());

        // The worker is inside UploadImageToFal: fal's storage has just seen the image's bytes arrive.
        await CrashRig.WaitUntilAsync(() => Task.FromResult(rig.Fal.State.GetCount(RequestKind.UploadPut) >= 1), "the image upload");
        await rig.KillWorkerAsync();

        Assert.Equal(0, rig.Fal.State.GetCount(RequestKind.Submit));
        Assert.False(await rig.SubmitIntentExistsAsync(jobId), "The dead worker had not even claimed the submit.");

        await rig.StartWorkerAsync();
        await rig.AssertArchivedAsync(jobId, await rig.WaitForJobAsync(jobId));
    }

    [Fact]
    public async Task Killed_RightAfterSubmitIsRecorded_RestartedWorker_DoesNotSubmitAgainAndArchives()
    {
        await using var rig = await CrashRig.StartAsync(azurite, output);
        string jobId = await rig.StartJobAsync(Job());

        // fal accepted the request and the ledger recorded its answer: SubmitToFal has done its paid work and may
        // or may not have reported back to the sidecar. A rerun must return the recorded answer.
        await CrashRig.WaitUntilAsync(() => rig.SubmissionRecordedAsync(jobId), "the recorded submission");
        await rig.KillWorkerAsync();
        Assert.Single(rig.Fal.State.Submissions);

        await rig.StartWorkerAsync();
        await rig.AssertArchivedAsync(jobId, await rig.WaitForJobAsync(jobId));
    }

    [Fact]
    public async Task Killed_WhileWaitingForFal_WebhookArrivesDuringOutage_RestartedWorker_Archives()
    {
        // No status check comes due while the test runs, however slow the machine: only the webhook can end the wait.
        await using var rig = await CrashRig.StartAsync(azurite, output, new EmulatorOptions { GenerationTime = TimeSpan.FromSeconds(3) },
            configure: (_, settings) => settings["Jobs:FirstStatusCheck"] = "00:20:00");
        string jobId = await rig.StartJobAsync(Job());

        // The orchestration has moved past submit and waits for fal's webhook.
        await CrashRig.WaitUntilAsync(async () => await rig.GetPhaseAsync(jobId) is "queued" or "generating", "the job waiting for fal", pollMilliseconds: 20);
        await rig.KillWorkerAsync();

        // fal finishes and calls the webhook while no worker runs: the app's webhook function takes it (the event
        // is kept by the task hub), nothing is archived yet.
        await CrashRig.WaitUntilAsync(() => Task.FromResult(rig.Fal.State.WebhookDeliveries.Any(d => d.Succeeded)), "fal's webhook delivery", pollMilliseconds: 20);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await rig.Client.GetInstanceAsync(jobId))!.RuntimeStatus);
        Assert.False(await (await rig.VideoBlobAsync(jobId)).ExistsAsync());

        await rig.StartWorkerAsync();
        await rig.AssertArchivedAsync(jobId, await rig.WaitForJobAsync(jobId));
        Assert.Equal(0, rig.Fal.State.GetCount(RequestKind.Status)); // the webhook, not polling, ended the wait
    }

    [Fact]
    public async Task Killed_MidArchive_NoPartialBlobUnderTheFinalName_RestartedWorker_ArchivesTheWholeVideo()
    {
        // A large video (the emulator pads the MP4) is copied in 4 MB blocks: the copy takes long enough to be caught.
        await using var rig = await CrashRig.StartAsync(azurite, output, new EmulatorOptions { VideoPaddingBytes = 64L * 1024 * 1024 });
        string jobId = await rig.StartJobAsync(Job());
        await CrashRig.WaitUntilAsync(() => rig.SubmissionRecordedAsync(jobId), "the recorded submission", pollMilliseconds: 20);
        var blob = await rig.VideoBlobAsync(jobId);

        // Whatever the moment, the final name shows either nothing or the whole video.
        var seenLengths = new System.Collections.Concurrent.ConcurrentBag<long>();
        using var stopWatching = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!stopWatching.IsCancellationRequested)
            {
                try
                {
                    seenLengths.Add((await blob.GetPropertiesAsync(cancellationToken: stopWatching.Token)).Value.ContentLength);
                }
                catch (Azure.RequestFailedException ex) when (ex.Status == 404)
                {
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                await Task.Delay(10, CancellationToken.None);
            }
        });

        // The archive is under way: blocks are staged but not committed.
        await CrashRig.WaitUntilAsync(async () => await UncommittedBlocksAsync(rig.Videos, blob) > 0, "staged video blocks");
        await rig.KillWorkerAsync();
        int staged = await UncommittedBlocksAsync(rig.Videos, blob);
        rig.Log($"killed with {staged} staged block(s) uncommitted");
        Assert.False(await blob.ExistsAsync(), "A partial video is visible under its final name.");
        Assert.DoesNotContain(rig.Videos.GetBlobsAsync().ToBlockingEnumerable(), b => b.Name == blob.Name);

        await rig.StartWorkerAsync();
        var done = await rig.WaitForJobAsync(jobId);
        await stopWatching.CancelAsync();
        await watcher;
        await rig.AssertArchivedAsync(jobId, done);
        long final = (await blob.GetPropertiesAsync()).Value.ContentLength;
        Assert.All(seenLengths, length => Assert.Equal(final, length));
        Assert.True(rig.Fal.State.GetCount(RequestKind.FileGet) >= 2, "The restarted worker downloaded the video again.");
    }

    [Fact]
    public async Task SidecarKilled_WhileWaitingForFal_WebhookRetriedUntilItIsBack_JobArchives()
    {
        // fal retries a failed webhook delivery (here for about a minute): longer than the sidecar's restart.
        await using var rig = await CrashRig.StartAsync(azurite, output, new EmulatorOptions
        {
            GenerationTime = TimeSpan.FromSeconds(2),
            WebhookMaxAttempts = 30,
            WebhookRetryMaxDelay = TimeSpan.FromSeconds(2),
        });
        string jobId = await rig.StartJobAsync(Job());
        await CrashRig.WaitUntilAsync(async () => await rig.GetPhaseAsync(jobId) is "queued" or "generating", "the job waiting for fal", pollMilliseconds: 20);

        await rig.KillSidecarAsync();

        // The webhook cannot be raised while the task hub's front is down: fal gets errors and keeps retrying.
        await CrashRig.WaitUntilAsync(() => Task.FromResult(rig.Fal.State.WebhookDeliveries.Count(d => !d.Succeeded) >= 2), "failed webhook deliveries", pollMilliseconds: 20);
        Assert.DoesNotContain(rig.Fal.State.WebhookDeliveries, d => d.Succeeded);

        int after = 0;
        await rig.StartSidecarAsync();
        await rig.WaitForWorkerConnectionAsync(after); // the same worker reconnects on its own
        await rig.AssertArchivedAsync(jobId, await rig.WaitForJobAsync(jobId));
    }

    /// <summary>
    /// The window no restart can close by itself: fal accepted the request but the worker died before it heard
    /// fal's answer (held back here by a proxy, so the window is hit every time). fal has no idempotency key, so
    /// the rerun does not resubmit; fal's signed webhook, sent to the URL only this job was given, names the
    /// request, the job adopts it and archives the video. fal saw exactly one submission.
    /// </summary>
    [Fact]
    public async Task Killed_AfterFalAcceptedButBeforeItsAnswerArrived_NeverSubmitsTwice_AndAdoptsTheRequestFromItsWebhook()
    {
        await using var proxy = await SubmitHoldingProxy.StartAsync();
        await using var rig = await CrashRig.StartAsync(azurite, output, configure: (fal, settings) =>
        {
            proxy.Upstream = fal.BaseUrl;
            settings["Fal:QueueBaseUrl"] = proxy.BaseUrl;
        });
        string jobId = await rig.StartJobAsync(Job());

        string heldAnswer = await proxy.FirstSubmitAnsweredAndHeld.WaitAsync(Patience.Job);
        await rig.KillWorkerAsync();
        rig.Log($"killed while fal's answer was held: {heldAnswer}");
        Assert.Single(rig.Fal.State.Submissions);
        Assert.True(await rig.SubmitIntentExistsAsync(jobId));

        await rig.StartWorkerAsync();
        var done = await rig.WaitForJobAsync(jobId);

        await rig.AssertArchivedAsync(jobId, done);
        Assert.Single(rig.Fal.State.Submissions);
        Assert.Equal(1, rig.Fal.State.GetCount(RequestKind.Submit));
    }

    private static async Task<int> UncommittedBlocksAsync(Azure.Storage.Blobs.BlobContainerClient container, Azure.Storage.Blobs.BlobClient blob)
    {
        try
        {
            var list = await container.GetBlockBlobClient(blob.Name).GetBlockListAsync(BlockListTypes.Uncommitted);
            return list.Value.UncommittedBlocks.Count();
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            return 0;
        }
    }
}
