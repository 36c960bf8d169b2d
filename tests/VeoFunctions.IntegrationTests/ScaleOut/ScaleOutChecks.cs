using System.Security.Cryptography;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using FalEmulator;
using Microsoft.DurableTask.Client;

namespace VeoFunctions.IntegrationTests.ScaleOut;

/// <summary>Where fal's webhooks landed, against who held each job's partition at that moment.</summary>
/// <param name="PerInstance">Successful webhook requests served by each instance (by index).</param>
/// <param name="OnNonOwner">Those served by an instance that did not hold the job's control queue at the time.</param>
public sealed record WebhookSpread(IReadOnlyDictionary<int, int> PerInstance, int Total, int OnNonOwner);

/// <summary>What a burst must still show, however the instances came and went.</summary>
public static class ScaleOutChecks
{
    /// <summary>
    /// Every POST accepted and every job completed; fal saw exactly one submission per job; the videos container holds
    /// exactly one <c>.mp4</c> per job, each with the bytes fal serves (length and SHA-256, every blob) and the job's own
    /// fal request id.
    /// </summary>
    public static async Task AssertEveryJobArchivedOnceAsync(ScaleOutRig rig, BurstOutcome burst)
    {
        ArgumentNullException.ThrowIfNull(rig);
        ArgumentNullException.ThrowIfNull(burst);
        var refused = burst.Posts.Where(p => p.JobId is null).ToList();
        var unforwarded = rig.Front.Served.Where(r => r.Error is not null).ToList();
        Assert.True(refused.Count == 0, $"{refused.Count} POSTs were not accepted: {string.Join("; ", refused.Take(5).Select(p => $"{(int)p.Status} {p.Body}"))}" +
            $" (front: {unforwarded.Count} requests not passed on, e.g. {string.Join("; ", unforwarded.Take(3).Select(r => $"{r.Method} {r.Path} to instance {r.Instance}: {r.Error}"))})");
        var ids = burst.JobIds.ToHashSet(StringComparer.Ordinal);
        Assert.Equal(burst.Jobs, ids.Count);

        var notCompleted = burst.Ended.Where(e => e.RuntimeStatus != OrchestrationRuntimeStatus.Completed).ToList();
        Assert.True(notCompleted.Count == 0, $"{notCompleted.Count} jobs did not complete: " +
            string.Join("; ", notCompleted.Take(5).Select(e => $"{e.InstanceId} {e.RuntimeStatus} {e.FailureDetails?.ErrorMessage} {e.SerializedCustomStatus}")));

        // Money: one submission per job, none for anything else.
        var submissions = rig.Fal.State.Submissions;
        var perJob = submissions.GroupBy(s => JobOf(s.WebhookUrl)).ToDictionary(g => g.Key ?? "(no job)", g => g.ToList(), StringComparer.Ordinal);
        var twice = perJob.Where(p => p.Value.Count > 1).ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} jobs were submitted more than once: {string.Join(", ", twice.Take(5).Select(p => $"{p.Key} x{p.Value.Count}"))}");
        Assert.Equal(ids.Order(StringComparer.Ordinal), perJob.Keys.Order(StringComparer.Ordinal));

        // One video per job under its final name, none partial, none duplicated.
        var videos = new List<BlobItem>();
        await foreach (var blob in rig.Videos.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata }))
        {
            if (blob.Name.EndsWith(".mp4", StringComparison.Ordinal))
            {
                videos.Add(blob);
            }
        }

        var videoJobs = videos.Select(v => Path.GetFileNameWithoutExtension(v.Name)).ToList();
        Assert.Equal(videoJobs.Count, videoJobs.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(ids.Order(StringComparer.Ordinal), videoJobs.Order(StringComparer.Ordinal));

        using var raw = new HttpClient();
        var falBytes = new Dictionary<string, (long Length, string Sha256)>(StringComparer.Ordinal);
        foreach (var video in videos)
        {
            string jobId = Path.GetFileNameWithoutExtension(video.Name);
            var submission = perJob[jobId].Single();
            Assert.Equal(submission.RequestId, video.Metadata["falrequestid"]);
            string url = JsonDocument.Parse(rig.Fal.State.GetSubmission(submission.RequestId)!.OutputJson!).RootElement.GetProperty("video").GetProperty("url").GetString()!;
            if (!falBytes.TryGetValue(url, out var expected))
            {
                expected = falBytes[url] = Digest(await raw.GetByteArrayAsync(new Uri(url)));
            }

            var actual = Digest((await rig.Videos.GetBlobClient(video.Name).DownloadContentAsync()).Value.Content.ToArray());
            Assert.True(expected == actual && video.Properties.ContentLength == expected.Length,
                $"{video.Name} holds {actual.Length} bytes ({actual.Sha256}), listed as {video.Properties.ContentLength}; fal serves {expected.Length} ({expected.Sha256}).");
        }
    }

    /// <summary>Which instance served each successful webhook, and whether it held the job's partition then.</summary>
    public static WebhookSpread Webhooks(ScaleOutRig rig, BurstOutcome burst)
    {
        ArgumentNullException.ThrowIfNull(rig);
        ArgumentNullException.ThrowIfNull(burst);
        var ids = burst.JobIds.ToHashSet(StringComparer.Ordinal);
        var hooks = rig.Front.Served.Where(r => r.Path == "/api/fal/webhook" && r.Status == 200 && r.JobId is not null && ids.Contains(r.JobId)).ToList();
        var workers = rig.Instances.ToDictionary(i => i.Index, i => i.WorkerId);
        int onNonOwner = hooks.Count(h =>
            burst.Timeline.OwnerAt(PartitionTable.ControlQueueOf(rig.TaskHub, h.JobId!, rig.Options.PartitionCount), h.At) != workers[h.Instance]);
        return new WebhookSpread(hooks.GroupBy(h => h.Instance).ToDictionary(g => g.Key, g => g.Count()), hooks.Count, onNonOwner);
    }

    /// <summary>
    /// fal's webhook deliveries an instance itself answered with a 5xx: not the front failing to pass one on, nor fal
    /// giving up waiting (its attempt timeout under load). A live instance must never do that to a genuine delivery; one
    /// dying under it may (its durable backend is gone), as a real instance's connection would break, and fal retries.
    /// </summary>
    public static IReadOnlyList<FrontRequest> WebhooksAnsweredWith5xx(ScaleOutRig rig)
    {
        ArgumentNullException.ThrowIfNull(rig);
        return rig.Front.Served.Where(r => r.Path == "/api/fal/webhook" && r.Error is null && r.Status >= 500).ToList();
    }

    /// <summary>The job a webhook URL names (<c>?job=…</c>).</summary>
    public static string? JobOf(string? webhookUrl) =>
        webhookUrl is null ? null : System.Web.HttpUtility.ParseQueryString(new Uri(webhookUrl).Query)["job"];

    // The rig's videos are the emulator's small sample (unpadded), so whole downloads are cheap.
    private static (long Length, string Sha256) Digest(byte[] bytes) => (bytes.LongLength, Convert.ToHexString(SHA256.HashData(bytes)));
}
