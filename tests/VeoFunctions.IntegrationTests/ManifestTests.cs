using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using FalEmulator;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using VeoFunctions.IntegrationTests.Infrastructure;
using VeoFunctions.Manifests;
using VeoFunctions.Testing;
using Xunit.Abstractions;

namespace VeoFunctions.IntegrationTests;

/// <summary>
/// The second door on real parts: a manifest in the jobs container (Azurite), delivered to the blob-trigger function as
/// the host's Event Grid path hands it over, runs its jobs on the real Durable Task engine against the fal emulator, and
/// is answered by the files beside it. Callbacks are in <see cref="CallbackTests"/>.
/// </summary>
[Collection(BatchesCollection.Name)]
public sealed class ManifestTests(Azurite azurite, ITestOutputHelper output)
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private static readonly string Png = TestImages.DataUri(TestImages.Png());

    private static JsonObject Job(string? id = null, string prompt = "A fox runs through fresh snow", params string[] images)
    {
        var job = new JsonObject { ["prompt"] = prompt, ["image_urls"] = new JsonArray([.. (images.Length > 0 ? images : [Png]).Select(i => (JsonNode)i)]) };
        if (id is not null)
        {
            job["id"] = id;
        }

        return job;
    }

    private static JsonObject Batch(params JsonObject[] jobs) => new() { ["jobs"] = new JsonArray(jobs) };

    /// <summary>The job a fal submission belongs to: its webhook URL names it.</summary>
    private static string JobIdOf(SubmissionInfo submission) =>
        System.Web.HttpUtility.ParseQueryString(new Uri(submission.WebhookUrl!).Query)["job"]!;

    private static void AssertNothingStarted(Pipeline pipeline, List<OrchestrationMetadata> instances)
    {
        Assert.Empty(instances);
        Assert.All(pipeline.Fal.State.Counts, count => Assert.True(count.Value == 0, $"fal got {count.Value} {count.Key} call(s)"));
    }

    private static List<string> JobIds(JsonElement result) =>
        [.. result.GetProperty("jobs").EnumerateArray().Select(job => job.GetProperty("jobId").GetString()!)];

    private static void AssertCounts(JsonElement result, int total, int completed)
    {
        var counts = result.GetProperty("counts");
        Assert.Equal(total, counts.GetProperty("total").GetInt32());
        Assert.Equal(completed, counts.GetProperty("completed").GetInt32());
        Assert.Equal(total - completed, counts.GetProperty("running").GetInt32() + counts.GetProperty("failed").GetInt32() + counts.GetProperty("cancelled").GetInt32());
    }

    /// <summary>The job's entry is completed and names a video that is in the videos container.</summary>
    private static async Task<string> AssertArchivedAsync(Pipeline pipeline, JsonElement entry)
    {
        Assert.Equal("completed", entry.GetProperty("phase").GetString());
        var video = entry.GetProperty("video");
        Assert.Equal(pipeline.Videos.Name, video.GetProperty("container").GetString());
        string blobName = video.GetProperty("blobName").GetString()!;
        Assert.EndsWith($"/{entry.GetProperty("jobId").GetString()}.mp4", blobName, StringComparison.Ordinal);
        var properties = (await pipeline.Videos.GetBlobClient(blobName).GetPropertiesAsync()).Value;
        Assert.Equal(video.GetProperty("bytes").GetInt64(), properties.ContentLength);
        return blobName;
    }

    // --- 1. A good manifest: its jobs run, its videos are archived, its result file says where ---

    [Fact]
    public async Task AGoodSingleJobManifest_RunsItsJob_AndItsResultFileSaysCompleted_WithTheVideosLocation()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);

        var blob = await door.DropAndDeliverAsync("nightly/one.json", Job());

        // At once: the result file, with the job's id and where to ask about it.
        var started = await door.ReadResultAsync("nightly/one.json");
        Assert.NotNull(started);
        Assert.Equal("nightly/one.json", started.Value.GetProperty("manifest").GetString());
        Assert.Equal((await blob.GetPropertiesAsync()).Value.ETag.ToString(), started.Value.GetProperty("eTag").GetString());
        var entry = Assert.Single(started.Value.GetProperty("jobs").EnumerateArray().ToList());
        string jobId = entry.GetProperty("jobId").GetString()!;
        Assert.Equal(0, entry.GetProperty("index").GetInt32());
        Assert.Equal($"{pipeline.Functions.BaseUrl.AbsoluteUri.TrimEnd('/')}/api/videos/{jobId}", entry.GetProperty("statusUrl").GetString());

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(jobId)).RuntimeStatus);
        var result = await door.WaitForAllEndedAsync("nightly/one.json");
        AssertCounts(result, total: 1, completed: 1);
        string video = await AssertArchivedAsync(pipeline, Assert.Single(result.GetProperty("jobs").EnumerateArray().ToList()));
        Assert.Equal(jobId, JobIdOf(Assert.Single(pipeline.Fal.State.Submissions)));

        // The status URL answers, and says the same.
        using var response = await pipeline.Http.GetAsync(new Uri(entry.GetProperty("statusUrl").GetString()!));
        var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("completed", status.GetProperty("phase").GetString());
        Assert.Equal(video, status.GetProperty("video").GetProperty("blobName").GetString());
        Assert.Null(await door.ReadErrorsAsync("nightly/one.json"));
    }

    [Fact]
    public async Task AGoodBatchOfThree_RunsEachJob_WithTheBatchsDefaults_AndTheResultFileCountsThemAll()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var pipeline = await Pipeline.StartAsync(azurite, settings: new Dictionary<string, string?> { ["Callbacks:SigningSecret"] = Secret });
        var door = await ManifestDoor.OpenAsync(pipeline);
        var manifest = Batch(
            Job("cat", "A cat naps in the sun"),
            Job("dog", "A dog chases a ball"),
            Job("fox", "A fox jumps over a log"));
        manifest["callback_url"] = receiver.Url("/hook").AbsoluteUri;
        manifest["priority"] = "low";
        manifest["jobs"]![1]!["priority"] = "normal";                              // its own priority wins
        manifest["jobs"]![2]!["callback_url"] = receiver.Url("/status/202").AbsoluteUri; // its own callback wins

        await door.DropAndDeliverAsync("pets/batch.json", manifest);

        var jobs = (await door.ReadResultAsync("pets/batch.json"))!.Value.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(["cat", "dog", "fox"], jobs.Select(j => j.GetProperty("id").GetString()));
        Assert.Equal([0, 1, 2], jobs.Select(j => j.GetProperty("index").GetInt32()));
        var ids = jobs.Select(j => j.GetProperty("jobId").GetString()!).ToList();
        Assert.Equal(3, ids.Distinct().Count());
        foreach (string id in ids)
        {
            Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(id)).RuntimeStatus);
        }

        var result = await door.WaitForAllEndedAsync("pets/batch.json");
        AssertCounts(result, total: 3, completed: 3);
        var videos = new List<string>();
        foreach (var entry in result.GetProperty("jobs").EnumerateArray())
        {
            videos.Add(await AssertArchivedAsync(pipeline, entry));
        }

        Assert.Equal(3, videos.Distinct().Count());
        var submissions = pipeline.Fal.State.Submissions.ToDictionary(JobIdOf);
        Assert.Equal(["low", "normal", "low"], ids.Select(id => submissions[id].Priority));
        Assert.Equal("A dog chases a ball", JsonDocument.Parse(submissions[ids[1]].InputJson).RootElement.GetProperty("prompt").GetString());

        // Each job's end went to its callback: the batch's for cat and dog, its own for fox.
        var callbacks = receiver.Received;
        Assert.Equal(3, callbacks.Count);
        Assert.All(callbacks, c => Assert.Null(StandardWebhooksSpec.Problem(Secret, c.Header("webhook-id"), c.Header("webhook-timestamp"), c.Header("webhook-signature"), c.Body, DateTimeOffset.UtcNow)));
        string JobOf(ReceivedCallback c) => JsonDocument.Parse(c.Body).RootElement.GetProperty("jobId").GetString()!;
        Assert.Equal(new[] { ids[0], ids[1] }.Order(StringComparer.Ordinal), callbacks.Where(c => c.Path == "/hook").Select(JobOf).Order(StringComparer.Ordinal));
        Assert.Equal(ids[2], JobOf(Assert.Single(callbacks, c => c.Path == "/status/202")));
    }

    // --- 2. A bad manifest: every problem listed, nothing started ---

    [Fact]
    public async Task ABadManifest_GetsAnErrorFileListingEveryProblem_AndStartsNothing()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        string notAnImage = "data:image/png;base64," + Convert.ToBase64String("PK\u0003\u0004 not an image at all"u8.ToArray());
        var noPrompt = Job("no-prompt");
        noPrompt.Remove("prompt");
        var typo = Job("typo");
        typo["promt"] = "A typo";
        var manifest = Batch(
            noPrompt,                                                              // 0: prompt missing
            Job("bad-image", images: notAnImage),                                  // 1: not an image
            typo,                                                                  // 2: unknown field
            Job("twin"),                                                           // 3: fine by itself
            Job("twin"),                                                           // 4: the same id again
            Job(images: $"{door.Images.Name}/missing.png"));                       // 5: no such blob
        manifest["colour"] = "blue";                                               // unknown field of the batch

        var blob = await door.DropAndDeliverAsync("bad/batch.json", manifest);

        var errors = await door.ReadErrorsAsync("bad/batch.json");
        Assert.NotNull(errors);
        Assert.Equal("bad/batch.json", errors.Value.GetProperty("manifest").GetString());
        Assert.Equal((await blob.GetPropertiesAsync()).Value.ETag.ToString(), errors.Value.GetProperty("eTag").GetString());
        var problems = errors.Value.GetProperty("problems").EnumerateArray()
            .Select(p => (Job: p.GetProperty("job").ValueKind == JsonValueKind.Null ? (int?)null : p.GetProperty("job").GetInt32(),
                Id: p.GetProperty("id").GetString(), Field: p.GetProperty("field").GetString(), Reason: p.GetProperty("reason").GetString()))
            .ToList();
        Assert.All(problems, p => Assert.False(string.IsNullOrWhiteSpace(p.Reason)));
        Assert.Equal(
            new (int?, string?, string?)[] { (null, null, "colour"), (0, "no-prompt", "prompt"), (1, "bad-image", "image_urls[0]"), (2, "typo", "promt"), (4, "twin", "id"), (5, null, "image_urls[0]") }
                .OrderBy(p => p.ToString()),
            problems.Select(p => (p.Job, p.Id, p.Field)).OrderBy(p => p.ToString()));
        Assert.Contains("missing.png", problems.Single(p => p.Job == 5).Reason, StringComparison.Ordinal);

        AssertNothingStarted(pipeline, await door.InstancesAsync());
        Assert.Null(await door.ReadResultAsync("bad/batch.json"));
    }

    // --- 3. Exactly once ---

    [Fact]
    public async Task TheSameEvent_DeliveredFiveTimesAtOnce_StartsOneJobPerEntry_AgainLaterNothing_AndAChangedEntryOneNewJob()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        var blob = await door.DropAsync("daily/run.json", Batch(Job("a"), Job("b"), Job(prompt: "A heron fishes at dawn")));

        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Task.Run(() => door.DeliverAsync(blob))));

        var first = JobIds((await door.ReadResultAsync("daily/run.json"))!.Value);
        var instances = await door.InstancesAsync();
        Assert.Equal(first.Order(), instances.Select(i => i.InstanceId).Order());
        foreach (string id in first)
        {
            Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(id)).RuntimeStatus);
        }

        Assert.Equal(first.Order(), pipeline.Fal.State.Submissions.Select(JobIdOf).Order());
        Assert.Equal(3, pipeline.Fal.State.GetCount(RequestKind.Submit));
        AssertCounts(await door.WaitForAllEndedAsync("daily/run.json"), total: 3, completed: 3);

        // Redelivered later (Event Grid retries for a day): nothing new, and the finished result file stays as it is.
        await door.DeliverAsync(blob);
        Assert.Equal(3, (await door.InstancesAsync()).Count);
        Assert.Equal(3, pipeline.Fal.State.GetCount(RequestKind.Submit));
        var after = (await door.ReadResultAsync("daily/run.json"))!.Value;
        Assert.Equal(first, JobIds(after));
        AssertCounts(after, total: 3, completed: 3);

        // A changed manifest uploaded under the same name: only the changed entry is a new job (one more submission);
        // the unchanged ones keep theirs, and the first version's jobs stay in the result file.
        var changed = await door.DropAsync("daily/run.json", Batch(Job("a"), Job("b", "A changed prompt"), Job(prompt: "A heron fishes at dawn")));
        await door.DeliverAsync(changed);

        var second = await WaitForJobsAsync(door, "daily/run.json", total: 4);
        string newJob = Assert.Single(JobIds(second).Except(first));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(newJob)).RuntimeStatus);
        Assert.Equal(4, (await door.InstancesAsync()).Count);
        Assert.Equal(4, pipeline.Fal.State.GetCount(RequestKind.Submit));
        var final = await WaitForJobsAsync(door, "daily/run.json", total: 4);
        AssertCounts(final, total: 4, completed: 4);
        Assert.Equal((await changed.GetPropertiesAsync()).Value.ETag.ToString(), final.GetProperty("eTag").GetString());
        var versions = final.GetProperty("jobs").EnumerateArray().ToDictionary(j => j.GetProperty("jobId").GetString()!, j => j.GetProperty("version").GetString());
        Assert.All(first, id => Assert.Equal(after.GetProperty("eTag").GetString(), versions[id])); // the first version's b too, still listed
        Assert.Equal(final.GetProperty("eTag").GetString(), versions[newJob]);
    }

    /// <summary>Waits until the result file lists <paramref name="total"/> jobs, none running.</summary>
    private static async Task<JsonElement> WaitForJobsAsync(ManifestDoor door, string manifest, int total)
    {
        JsonElement? result = null;
        await Poll.UntilAsync(async () =>
        {
            try
            {
                result = await door.ReadResultAsync(manifest);
            }
            catch (JsonException)
            {
                return false; // not the app's file (yet)
            }

            return result is { } file && file.TryGetProperty("counts", out var counts) && counts.GetProperty("total").GetInt32() == total && counts.GetProperty("running").GetInt32() == 0;
        }, TimeSpan.FromSeconds(90));
        return result!.Value;
    }

    [Theory]
    [InlineData("corrupt")]
    [InlineData("foreign")]
    [InlineData("50 MB")]
    public async Task AResultFileSomeoneElseWrote_NeverHoldsAJobUp_AndIsReplacedWithTheAppsOwn(string kind)
    {
        var logs = new CapturedLogs();
        var emulator = new EmulatorOptions();
        emulator.Faults.Add(FaultRule.Generation(FaultKind.Held)); // fal generates only once the foreign file is in place
        await using var pipeline = await Pipeline.StartAsync(azurite, emulator, services: logs.AddTo);
        var door = await ManifestDoor.OpenAsync(pipeline);
        await door.DropAndDeliverAsync("shared/run.json", Job("a"));
        string jobId = JobIds((await door.ReadResultAsync("shared/run.json"))!.Value).Single();

        // While the job generates, the pipeline (which may write there) puts its own file in the app's place.
        byte[] content = kind switch
        {
            "corrupt" => """{"manifest": "shared/run.json", "jobs": [ { "phase": """u8.ToArray(),
            "foreign" => """{"owner": "the pipeline", "processed": true}"""u8.ToArray(),
            _ => Enumerable.Repeat((byte)'[', 50 * 1024 * 1024).ToArray(),
        };
        await ManifestDoor.UploadAsync(door.Jobs, "shared/run.result.json", content);
        await Poll.UntilAsync(() => pipeline.Fal.State.Submissions.Count == 1, Patience.Job, "the job's submission to fal");
        pipeline.Fal.State.ReleaseHeld();

        // The job ends as usual: its orchestration completes, so its callback, settling and retention were not held up.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(jobId, TimeSpan.FromSeconds(120))).RuntimeStatus);
        var result = await WaitForJobsAsync(door, "shared/run.json", total: 1);
        AssertCounts(result, total: 1, completed: 1);
        Assert.Equal(jobId, JobIds(result).Single());
        var replaced = Assert.Single(logs.Lines, line => line.EventId.Id == 6010);
        Assert.Contains("shared/run.json", replaced.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a metadata write")]
    [InlineData("the same bytes uploaded again")]
    [InlineData("a delete and re-create")]
    public async Task ABlobWhoseEntriesDidNotChange_StartsNothingNew_WhateverIsDeliveredAfter(string change)
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        var manifest = Batch(Job("a"), Job("b", "A dog chases a ball"));
        var blob = await door.DropAndDeliverAsync("again/run.json", manifest);
        var first = await WaitForJobsAsync(door, "again/run.json", total: 2);
        Assert.Equal(2, pipeline.Fal.State.GetCount(RequestKind.Submit));

        switch (change)
        {
            case "a metadata write":
                await blob.SetMetadataAsync(new Dictionary<string, string> { ["processed"] = "true" }); // a new ETag, the same bytes
                break;
            case "the same bytes uploaded again":
                await door.DropAsync("again/run.json", manifest); // an SDK's retried PUT: two ETags, the same bytes
                break;
            default:
                await blob.DeleteAsync();
                await door.DropAsync("again/run.json", manifest);
                break;
        }

        // The first event redelivered (Event Grid is at least once), then the new upload's own, twice.
        await door.DeliverAsync(blob);
        await door.DeliverAsync(door.Jobs.GetBlobClient("again/run.json"));
        await door.DeliverAsync(door.Jobs.GetBlobClient("again/run.json"));

        Assert.Equal(2, (await door.InstancesAsync()).Count);
        Assert.Equal(2, pipeline.Fal.State.GetCount(RequestKind.Submit));
        var after = await WaitForJobsAsync(door, "again/run.json", total: 2);
        Assert.Equal(JobIds(first), JobIds(after));
        AssertCounts(after, total: 2, completed: 2);
    }

    [Fact]
    public async Task AFailureOfOneEntryOf40_CancelsNoSibling_AndTheRetryArrivingAtOnceStartsIt_40Jobs40Submissions()
    {
        const int Count = 40;
        var emulator = new EmulatorOptions { QueueTime = TimeSpan.FromMilliseconds(20), GenerationTime = TimeSpan.FromMilliseconds(50), ProgressLogLines = 0 };
        await using var pipeline = await Pipeline.StartAsync(azurite, emulator, settings: new Dictionary<string, string?> { ["Money:DailyBudgetUsd"] = "1000" });
        var door = await ManifestDoor.OpenAsync(pipeline);
        var blob = await door.DropAsync("fanout/batch.json", Batch([.. Enumerable.Range(0, Count).Select(i => Job($"clip-{i:00}", $"Clip {i}: a heron fishes at dawn"))]));

        // The 7th job to be scheduled fails (storage, the task hub): its siblings are in flight at that moment.
        int scheduled = 0;
        string? failedJob = null;
        pipeline.Client.ScheduleFault = id =>
        {
            if (Interlocked.Increment(ref scheduled) != 7)
            {
                return null;
            }

            failedJob = id;
            return new InvalidOperationException("The task hub is unreachable (injected).");
        };
        await Assert.ThrowsAnyAsync<Exception>(() => door.DeliverAsync(blob)); // the host retries a failed delivery
        Assert.NotNull(failedJob);
        Assert.Equal(Count - 1, (await door.InstancesAsync()).Count); // no sibling was cancelled or stranded
        pipeline.Client.ScheduleFault = null;

        await door.DeliverAsync(blob); // the trigger's retry, at once

        var result = await WaitForJobsAsync(door, "fanout/batch.json", total: Count);
        AssertCounts(result, total: Count, completed: Count);
        Assert.Contains(failedJob, JobIds(result));
        Assert.Equal(Count, (await door.InstancesAsync()).Count);
        Assert.Equal(Count, pipeline.Fal.State.GetCount(RequestKind.Submit));
        Assert.Equal(Count, pipeline.Fal.State.Submissions.Select(JobIdOf).Distinct().Count());

        // Nothing stays reserved beyond the 40 jobs' estimates: the failed start gave its reservation back, its retry took one.
        using var budget = await pipeline.Http.GetAsync(new Uri("/api/budget", UriKind.Relative));
        var day = JsonDocument.Parse(await budget.Content.ReadAsStringAsync()).RootElement;
        decimal estimates = result.GetProperty("jobs").EnumerateArray().Sum(j => j.GetProperty("cost").GetProperty("estimatedUsd").GetDecimal());
        Assert.Equal(estimates, day.GetProperty("reservedUsd").GetDecimal() + day.GetProperty("spentUsd").GetDecimal());
    }

    [Fact]
    public async Task AManifestWhoseEventWasLost_IsRunByTheRedriveRoute_AndRunningItAgainPaysForNothing()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        await door.DropAsync("lost/run.json", Batch(Job("a"), Job("b", "A dog chases a ball"))); // uploaded; its event never came

        using var first = await pipeline.Http.PostAsync(new Uri("/api/manifests/run?name=lost/run.json", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(2, JobIds(await WaitForJobsAsync(door, "lost/run.json", total: 2)).Count);

        using var again = await pipeline.Http.PostAsync(new Uri("/api/manifests/run?name=lost/run.json", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(2, (await door.InstancesAsync()).Count);
        Assert.Equal(2, pipeline.Fal.State.GetCount(RequestKind.Submit));
        AssertCounts(await WaitForJobsAsync(door, "lost/run.json", total: 2), total: 2, completed: 2);

        using var missing = await pipeline.Http.PostAsync(new Uri("/api/manifests/run?name=lost/none.json", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var notAManifest = await pipeline.Http.PostAsync(new Uri("/api/manifests/run?name=lost/run.result.json", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.BadRequest, notAManifest.StatusCode);
    }

    // --- 3b. Edits that change no video, earlier releases' jobs, redrive of failed entries ---

    [Fact]
    public async Task IdLessEntries_InsertedOrRemoved_OrANewBatchCallbackAndPriority_StartOnlyTheNewEntry()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var pipeline = await Pipeline.StartAsync(azurite, settings: new Dictionary<string, string?> { ["Callbacks:SigningSecret"] = Secret });
        var door = await ManifestDoor.OpenAsync(pipeline);
        JsonObject A() => Job(prompt: "A fox runs through fresh snow");
        JsonObject B() => Job(prompt: "A dog chases a ball");
        JsonObject C() => Job(prompt: "A heron fishes at dawn");
        JsonObject Z() => Job(prompt: "A whale breaches at dusk");
        const string Name = "edits/run.json";

        await door.DropAndDeliverAsync(Name, Batch(A(), B(), C()));
        var first = JobIds(await WaitForJobsAsync(door, Name, total: 3));
        Assert.Equal(3, pipeline.Fal.State.GetCount(RequestKind.Submit));

        // A new scene put at the top: it alone is new; the three keep their jobs though each moved down one place.
        await door.DropAndDeliverAsync(Name, Batch(Z(), A(), B(), C()));
        var inserted = JobIds(await WaitForJobsAsync(door, Name, total: 4));
        Assert.Equal(4, pipeline.Fal.State.GetCount(RequestKind.Submit));
        Assert.Equal(first, inserted.Intersect(first));

        // One removed: nothing new for the others that moved up.
        await door.DropAndDeliverAsync(Name, Batch(Z(), A(), C()));
        Assert.Equal(inserted, JobIds(await WaitForJobsAsync(door, Name, total: 4)));

        // A new batch callback URL (a signature rotated on each upload) and priority: where the answer goes, not what fal
        // makes. Nothing new, and the jobs keep the callback they started with (none): nothing is called.
        var rotated = Batch(Z(), A(), C());
        rotated["callback_url"] = receiver.Url("/hook?sig=rotated").AbsoluteUri;
        rotated["priority"] = "low";
        await door.DropAndDeliverAsync(Name, rotated);
        Assert.Equal(inserted, JobIds(await WaitForJobsAsync(door, Name, total: 4)));

        Assert.Equal(4, pipeline.Fal.State.GetCount(RequestKind.Submit));
        Assert.Equal(4, (await door.InstancesAsync()).Count);
        Assert.Empty(receiver.Received);
    }

    /// <summary>How the deployed releases hashed an identity into a manifest job's id.</summary>
    private static string DeployedJobId(string identity) =>
        "m" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(identity)))[..31];

    private static string Sha256(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    /// <summary>A claim as the deployed releases left it: a started job, with the fingerprint they kept.</summary>
    private static async Task ClaimAsStartedAsync(Pipeline pipeline, string jobId, string fingerprint)
    {
        await pipeline.Work.CreateIfNotExistsAsync();
        await ManifestDoor.UploadAsync(pipeline.Work, $"claims/{jobId}", JsonSerializer.SerializeToUtf8Bytes(new { fingerprint, claimedAt = DateTimeOffset.UtcNow, startedAt = DateTimeOffset.UtcNow }));
    }

    // The release before this one: an entry's canonical JSON (properties sorted, compact) with the batch's defaults.
    private static string PositionReleaseFingerprint(JsonObject entry)
    {
        static JsonNode? Sorted(JsonNode? node) => node switch
        {
            JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
            JsonArray a => new JsonArray([.. a.Select(Sorted)]),
            _ => node?.DeepClone(),
        };

        return Sha256(new JsonObject { ["job"] = Sorted(entry) }.ToJsonString());
    }

    [Fact]
    public async Task JobsTheReleaseThatNamedEntriesByPositionStarted_AreFoundByTheManifestsName_WhenAnEntryIsInsertedAfterTheUpgrade()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        const string Name = "upgrade/position.json";
        var served = new[] { Job(prompt: "A fox runs through fresh snow"), Job(prompt: "A dog chases a ball"), Job(prompt: "A heron fishes at dawn") };

        // What that release left for [A, B, C]: a started claim per entry under its id, and a result record per job.
        for (int i = 0; i < served.Length; i++)
        {
            string jobId = DeployedJobId($"{door.Jobs.Name}/{Name}\n#{i}\n{PositionReleaseFingerprint(served[i])}");
            await ClaimAsStartedAsync(pipeline, jobId, PositionReleaseFingerprint(served[i]));
            await ManifestDoor.UploadAsync(pipeline.Work, $"manifests/{door.Jobs.Name}/{Name}/jobs/{jobId}.json", JsonSerializer.SerializeToUtf8Bytes(
                new { index = i, jobId, statusUrl = $"https://app.example/api/videos/{jobId}", phase = "completed", version = "\"0x8DE0000000000001\"" }));
        }

        await door.DropAndDeliverAsync(Name, Batch([Job(prompt: "A whale breaches at dusk"), .. served.Select(j => (JsonObject)j.DeepClone())]));

        AssertCounts(await WaitForJobsAsync(door, Name, total: 4), total: 4, completed: 4); // theirs still in view
        var submission = Assert.Single(pipeline.Fal.State.Submissions);
        Assert.Contains("whale", submission.InputJson, StringComparison.Ordinal);
        Assert.Single(await door.InstancesAsync());
    }

    [Fact]
    public async Task JobsTheReleaseThatNamedEntriesByETagStarted_AreFoundByTheManifestsName_WhenTheSameBytesAreUploadedAgain()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        const string Name = "upgrade/etag.json";
        string[] entries = [Job("a").ToJsonString(), Job(prompt: "A dog chases a ball").ToJsonString()];
        byte[] manifest = System.Text.Encoding.UTF8.GetBytes($$"""{"jobs": [{{string.Join(", ", entries)}}]}""");
        var servedBlob = await ManifestDoor.UploadAsync(door.Jobs, Name, manifest);
        string servedETag = (await servedBlob.GetPropertiesAsync()).Value.ETag.ToString();

        // What that release left: a started claim per entry (its id from the blob's ETag then; its fingerprint the entry's
        // text), and its result file beside the manifest listing each entry's job.
        string[] jobIds = [DeployedJobId($"{door.Jobs.Name}/{Name}\n{servedETag}\nid:a"), DeployedJobId($"{door.Jobs.Name}/{Name}\n{servedETag}\n#1")];
        for (int i = 0; i < entries.Length; i++)
        {
            await ClaimAsStartedAsync(pipeline, jobIds[i], Sha256(entries[i] + "\n"));
        }

        await ManifestDoor.UploadAsync(door.Jobs, ManifestFiles.ResultName(Name), JsonSerializer.SerializeToUtf8Bytes(new
        {
            manifest = Name, eTag = servedETag, createdAt = DateTimeOffset.UtcNow, updatedAt = DateTimeOffset.UtcNow,
            counts = new { total = 2, running = 0, completed = 2, failed = 0, cancelled = 0 },
            jobs = jobIds.Select((id, i) => new { index = i, id = i == 0 ? "a" : null, jobId = id, statusUrl = $"https://app.example/api/videos/{id}", phase = "completed" }),
        }));

        // After the upgrade, the same bytes uploaded again (a new ETag), and its event delivered.
        await door.DropAndDeliverAsync(Name, System.Text.Encoding.UTF8.GetString(manifest));

        Assert.Empty(await door.InstancesAsync());
        Assert.Equal(0, pipeline.Fal.State.GetCount(RequestKind.Submit));
        var result = (await door.ReadResultAsync(Name))!.Value;
        Assert.Equal(jobIds.Order(), JobIds(result).Order()); // theirs still in view
        Assert.All(result.GetProperty("jobs").EnumerateArray(), job => // ids only from that file: the app's own status URLs
            Assert.StartsWith(pipeline.Configuration["Jobs:PublicBaseUrl"]!, job.GetProperty("statusUrl").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARedriveOfFailedEntries_StartsEachFailedEntryOnce_AtOnceOrAgain_AndThePlainRedriveNothing()
    {
        var emulator = new EmulatorOptions();
        emulator.Faults.Add(FaultRule.Generation(FaultKind.GenerationError, promptContains: "doomed", count: 1)); // fails once
        await using var pipeline = await Pipeline.StartAsync(azurite, emulator);
        var door = await ManifestDoor.OpenAsync(pipeline);
        const string Name = "redrive/failed.json";
        await door.DropAndDeliverAsync(Name, Batch(Job("a"), Job("b", "A doomed heron fishes at dawn")));
        AssertCounts(await WaitForJobsAsync(door, Name, total: 2), total: 2, completed: 1);
        Assert.Equal(2, pipeline.Fal.State.GetCount(RequestKind.Submit));

        Task<HttpResponseMessage> RedriveAsync(bool failed) =>
            pipeline.Http.PostAsync(new Uri($"/api/manifests/run?name={Name}" + (failed ? "&failed=true" : ""), UriKind.Relative), null);

        // Two redrives of failed entries at once (a retried request, two operators): one new attempt of b.
        var both = await Task.WhenAll(RedriveAsync(failed: true), RedriveAsync(failed: true));
        Assert.All(both, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        var result = await WaitForJobsAsync(door, Name, total: 3);
        AssertCounts(result, total: 3, completed: 2);
        Assert.Equal(3, pipeline.Fal.State.GetCount(RequestKind.Submit));
        var attempts = result.GetProperty("jobs").EnumerateArray().Where(j => j.GetProperty("id").GetString() == "b")
            .OrderBy(j => j.GetProperty("attempt").GetInt32()).Select(j => (j.GetProperty("attempt").GetInt32(), j.GetProperty("phase").GetString())).ToList();
        Assert.Equal([(0, "failed"), (1, "completed")], attempts); // every attempt listed

        // Again: b's last attempt completed, a never failed: nothing. A plain redrive: nothing either.
        using var again = await RedriveAsync(failed: true);
        using var plain = await RedriveAsync(failed: false);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal(3, pipeline.Fal.State.GetCount(RequestKind.Submit));
        Assert.Equal(3, (await door.InstancesAsync()).Count);
        foreach (var response in both)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task ARedriveThatCouldNotStartEveryEntry_Answers503WithCounts_AndNoneOfTheCausesText()
    {
        var logs = new CapturedLogs();
        await using var pipeline = await Pipeline.StartAsync(azurite, services: logs.AddTo);
        var door = await ManifestDoor.OpenAsync(pipeline);
        await door.DropAsync("incomplete/run.json", Batch(Job("a"), Job("b", "A dog chases a ball")));
        int scheduled = 0;
        pipeline.Client.ScheduleFault = _ => Interlocked.Increment(ref scheduled) == 1
            ? new InvalidOperationException("Status(StatusCode=Unavailable, Detail=\"taskhub veoprodhub on 10.0.3.7:443 refused\") (injected)")
            : null;

        using var response = await pipeline.Http.PostAsync(new Uri("/api/manifests/run?name=incomplete/run.json", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Contains("1 of 2 job(s) could not be started", body, StringComparison.Ordinal);
        Assert.DoesNotContain("injected", body, StringComparison.Ordinal);
        Assert.DoesNotContain("10.0.3.7", body, StringComparison.Ordinal);
        Assert.Contains(logs.Lines, line => line.EventId.Id == 6008 && line.Exception?.ToString().Contains("injected", StringComparison.Ordinal) == true);
    }

    // --- 3c. Red-team 2: redrive never pays twice for what it has, earlier releases' jobs started or found, never forged ---

    private static Task<HttpResponseMessage> RedriveAsync(Pipeline pipeline, string name, bool failed = true) =>
        pipeline.Http.PostAsync(new Uri($"/api/manifests/run?name={name}" + (failed ? "&failed=true" : ""), UriKind.Relative), null);

    [Fact]
    public async Task ARedriveOfFailedEntries_LeavesAnEntryCancelledWithItsVideoAlone()
    {
        // fal runs on a clock the test moves, so the cancel lands while it generates however slow the machine is.
        var generation = TimeSpan.FromMinutes(1);
        var clock = PipelineProbes.Clock();
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.OnClock(clock, generation), new Dictionary<string, string?> { ["Jobs:CancelGrace"] = "00:01:00" });
        var door = await ManifestDoor.OpenAsync(pipeline);
        const string Name = "redrive/cancelled.json";
        await door.DropAndDeliverAsync(Name, Batch(Job("a")));
        await Poll.UntilAsync(() => pipeline.Fal.State.Submissions is [{ StartedAt: not null }]);
        string jobId = JobIdOf(pipeline.TheSubmission());
        using (var cancel = await pipeline.Http.PostAsync($"/api/videos/{jobId}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        await Poll.UntilAsync(() => pipeline.TheSubmission().CancelRequested);
        clock.Advance(generation); // Veo ignores the signal and finishes: the job is cancelled, with its (billed) video
        var job = Assert.Single((await WaitForJobsAsync(door, Name, total: 1)).GetProperty("jobs").EnumerateArray());
        Assert.Equal("cancelled", job.GetProperty("phase").GetString());
        Assert.True(job.TryGetProperty("video", out var video) && video.ValueKind == JsonValueKind.Object, job.ToString());

        using var redrive = await RedriveAsync(pipeline, Name);

        Assert.Equal(HttpStatusCode.OK, redrive.StatusCode);
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Submit)); // it has its video: not a failed entry
        Assert.Single(await door.InstancesAsync());
    }

    [Fact]
    public async Task ARedriveOfFailedEntries_DoesNotPayAgainForAJobFalMadeTheVideoOf_ItSaysToResumeIt()
    {
        // fal serves the video from a host not on Fal:MediaHosts: the job fails out of its archive, after fal billed it.
        int port = LoopbackPorts.Free();
        await using var pipeline = await Pipeline.StartAsync(azurite, new EmulatorOptions { Port = port, PublicBaseUrl = $"http://localhost:{port}" },
            new Dictionary<string, string?> { ["Images:AllowedPrivateHosts:1"] = "localhost" });
        var door = await ManifestDoor.OpenAsync(pipeline);
        const string Name = "redrive/resumable.json";
        await door.DropAndDeliverAsync(Name, Batch(Job("a")));
        var failed = Assert.Single((await WaitForJobsAsync(door, Name, total: 1)).GetProperty("jobs").EnumerateArray());
        Assert.Equal("failed", failed.GetProperty("phase").GetString());

        // A scheduled redrive, run twice: each would be a new paid clip that fails the same way.
        foreach (int run in new[] { 1, 2 })
        {
            using var redrive = await RedriveAsync(pipeline, Name);
            Assert.Equal(HttpStatusCode.OK, redrive.StatusCode);
            var answer = JsonDocument.Parse(await redrive.Content.ReadAsStringAsync()).RootElement;
            var held = Assert.Single(answer.GetProperty("notRetried").EnumerateArray());
            Assert.Equal(failed.GetProperty("jobId").GetString(), held.GetProperty("jobId").GetString());
            Assert.Equal("resumable", held.GetProperty("reason").GetString());
        }

        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Submit));
        Assert.Single(await door.InstancesAsync());
    }

    [Fact]
    public async Task RedrivingAnEntryThatFailsEveryTime_StopsAtItsThirdJob_AndSaysSo()
    {
        var emulator = new EmulatorOptions();
        emulator.Faults.Add(FaultRule.Generation(FaultKind.GenerationError, promptContains: "doomed", count: null)); // every time
        await using var pipeline = await Pipeline.StartAsync(azurite, emulator);
        var door = await ManifestDoor.OpenAsync(pipeline);
        const string Name = "redrive/doomed.json";
        await door.DropAndDeliverAsync(Name, Batch(Job("b", "A doomed heron fishes at dawn")));
        await WaitForJobsAsync(door, Name, total: 1);

        for (int jobs = 2; jobs <= ManifestIntake.MaxAttempts; jobs++)
        {
            using var redrive = await RedriveAsync(pipeline, Name);
            Assert.Equal(HttpStatusCode.OK, redrive.StatusCode);
            AssertCounts(await WaitForJobsAsync(door, Name, total: jobs), total: jobs, completed: 0);
        }

        // Past the cap, a redrive (a cron's nightly one) starts nothing more and names the entry.
        using var capped = await RedriveAsync(pipeline, Name);
        Assert.Equal(HttpStatusCode.OK, capped.StatusCode);
        var held = Assert.Single(JsonDocument.Parse(await capped.Content.ReadAsStringAsync()).RootElement.GetProperty("notRetried").EnumerateArray());
        Assert.Equal("b", held.GetProperty("id").GetString());
        Assert.Equal("outOfAttempts", held.GetProperty("reason").GetString());
        Assert.Equal(ManifestIntake.MaxAttempts, pipeline.Fal.State.GetCount(RequestKind.Submit));
        Assert.Equal(ManifestIntake.MaxAttempts, (await door.InstancesAsync()).Count);
    }

    [Fact]
    public async Task AnEntryThePositionReleaseClaimedButNeverScheduled_IsStartedOnce_UnderThatReleasesId()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        const string Name = "upgrade/claimed.json";
        var entry = Job(prompt: "A heron fishes at dawn");

        // That release's intake claimed the entry, then its instance was recycled (the upgrade's own deploy) before it
        // scheduled the job: a claim never marked started, long past the abandoned-claim age, and no instance.
        string jobId = DeployedJobId($"{door.Jobs.Name}/{Name}\n#0\n{PositionReleaseFingerprint(entry)}");
        await pipeline.Work.CreateIfNotExistsAsync();
        await ManifestDoor.UploadAsync(pipeline.Work, $"claims/{jobId}", JsonSerializer.SerializeToUtf8Bytes(
            new { fingerprint = PositionReleaseFingerprint(entry), claimedAt = DateTimeOffset.UtcNow.AddMinutes(-10), startedAt = (DateTimeOffset?)null }));

        await door.DropAndDeliverAsync(Name, Batch((JsonObject)entry.DeepClone()));
        await door.DeliverAsync(door.Jobs.GetBlobClient(Name)); // and redelivered: still once

        AssertCounts(await WaitForJobsAsync(door, Name, total: 1), total: 1, completed: 1);
        Assert.Equal(jobId, JobIdOf(Assert.Single(pipeline.Fal.State.Submissions)));
        Assert.Equal(jobId, Assert.Single(await door.InstancesAsync()).InstanceId);
    }

    [Fact]
    public async Task AForeignResultFile_ListingAnotherManifestsJob_AddsNothingToTheResultFile()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        await door.DropAndDeliverAsync("forged/a.json", Batch(Job("a")));
        string theirs = Assert.Single(JobIds(await WaitForJobsAsync(door, "forged/a.json", total: 1)));

        // Someone who can write blobs (no function key) lists a real job id under a name of their own, pointing pollers
        // (and their function key) at their host, then drops a manifest by that name.
        await ManifestDoor.UploadAsync(door.Jobs, ManifestFiles.ResultName("forged/b.json"), JsonSerializer.SerializeToUtf8Bytes(new
        {
            manifest = "forged/b.json",
            jobs = new[] { new { index = 0, jobId = theirs, statusUrl = $"https://attacker.example/api/videos/{theirs}", phase = "completed" } },
        }));
        await door.DropAndDeliverAsync("forged/b.json", Batch(Job("b", "A dog chases a ball")));

        var result = await WaitForJobsAsync(door, "forged/b.json", total: 1);
        var job = Assert.Single(result.GetProperty("jobs").EnumerateArray());
        Assert.NotEqual(theirs, job.GetProperty("jobId").GetString());
        Assert.StartsWith(pipeline.Configuration["Jobs:PublicBaseUrl"]!, job.GetProperty("statusUrl").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("attacker.example", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSameBytesAgain_AfterTwoUpgrades_FindETagEraJobsWhoseSiblingEndedUnderThePositionRelease()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        const string Name = "upgrade/etag-then-position.json";
        byte[] manifest = System.Text.Encoding.UTF8.GetBytes(Batch(Job(prompt: "A fox runs through fresh snow"), Job(prompt: "A dog chases a ball"), Job(prompt: "A heron fishes at dawn")).ToJsonString());
        var servedBlob = await ManifestDoor.UploadAsync(door.Jobs, Name, manifest);
        string servedETag = (await servedBlob.GetPropertiesAsync()).Value.ETag.ToString();

        // The ETag release ran the three entries: its ids from the blob's ETag, its claims with the entry's raw text.
        var services = pipeline.Functions.Services;
        var parsed = services.GetRequiredService<ManifestParser>().Parse(manifest, _ => null);
        var scheduler = services.GetRequiredService<VeoFunctions.Jobs.JobScheduler>();
        string[] jobIds = [.. parsed.Jobs.Select(j => DeployedJobId($"{door.Jobs.Name}/{Name}\n{servedETag}\n#{j.Index}"))];
        foreach (var job in parsed.Jobs)
        {
            await scheduler.ScheduleAsync(pipeline.Client, jobIds[job.Index], job.Draft, job.Earlier!.Raw, callerChosenId: true, CancellationToken.None,
                new VeoFunctions.Jobs.ManifestEntry(door.Jobs.Name, Name, job.Index, job.Id));
        }

        foreach (string jobId in jobIds)
        {
            await pipeline.WaitForJobAsync(jobId);
        }

        // The first two ended under the ETag release, which kept no records; the third under the position release, which
        // recorded it and replaced the ETag release's result file with its own (listing only that one).
        foreach (string jobId in jobIds)
        {
            await Poll.UntilAsync(async () => (await pipeline.Work.GetBlobClient($"manifests/{door.Jobs.Name}/{Name}/jobs/{jobId}.json").ExistsAsync()).Value);
        }

        foreach (string jobId in jobIds[..2])
        {
            await pipeline.Work.GetBlobClient($"manifests/{door.Jobs.Name}/{Name}/jobs/{jobId}.json").DeleteIfExistsAsync();
        }

        // After the upgrade, the same bytes uploaded again (a new ETag), and its event delivered.
        await door.DropAndDeliverAsync(Name, System.Text.Encoding.UTF8.GetString(manifest));

        var result = await WaitForJobsAsync(door, Name, total: 3);
        Assert.Equal(jobIds.Order(), JobIds(result).Order()); // all three in view, none new
        Assert.Equal(3, pipeline.Fal.State.GetCount(RequestKind.Submit));
        Assert.Equal(3, (await door.InstancesAsync()).Count);
    }

    // --- 4. What is not a manifest ---

    [Fact]
    public async Task TheAppsOwnFiles_OtherBlobs_AndBlobsOfAnotherContainer_AreIgnored()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        var other = door.Service.GetBlobContainerClient($"other-{Guid.NewGuid():N}"[..20]);
        await other.CreateAsync();
        byte[] job = JsonSerializer.SerializeToUtf8Bytes(Job());

        var blobs = new[]
        {
            await ManifestDoor.UploadAsync(door.Jobs, "x/run.result.json", job),
            await ManifestDoor.UploadAsync(door.Jobs, "x/run.error.json", job),
            await ManifestDoor.UploadAsync(door.Jobs, "x/RUN.RESULT.JSON", job),
            await ManifestDoor.UploadAsync(door.Jobs, "x/notes.txt", "prompt: a fox"u8.ToArray()),
            await ManifestDoor.UploadAsync(door.Jobs, "x/cat.png", TestImages.Png()),
            await ManifestDoor.UploadAsync(other, "x/run.json", job),
            door.Jobs.GetBlobClient("x/deleted-since.json"), // the event of a blob that is gone
        };
        foreach (var blob in blobs)
        {
            await door.DeliverAsync(blob);
        }

        AssertNothingStarted(pipeline, await door.InstancesAsync());
        Assert.Equal(["x/RUN.RESULT.JSON", "x/cat.png", "x/notes.txt", "x/run.error.json", "x/run.result.json"], (await door.JobsBlobNamesAsync()).Order(StringComparer.Ordinal));
        var otherNames = new List<string>();
        await foreach (var item in other.GetBlobsAsync())
        {
            otherNames.Add(item.Name);
        }

        Assert.Equal(["x/run.json"], otherNames);
    }

    // --- 5. A big batch ---

    [Fact]
    public async Task ABatchOf200Jobs_Completes_With200Videos_AndACompleteResultFile()
    {
        const int Count = 200;
        var emulator = new EmulatorOptions { QueueTime = TimeSpan.FromMilliseconds(20), GenerationTime = TimeSpan.FromMilliseconds(50), ProgressLogLines = 0 };
        await using var pipeline = await Pipeline.StartAsync(azurite, emulator);
        var door = await ManifestDoor.OpenAsync(pipeline);
        await ManifestDoor.UploadAsync(door.Images, "cat.png", TestImages.Png(32, 24));
        var manifest = Batch([.. Enumerable.Range(0, Count).Select(i => Job($"clip-{i:000}", $"Clip {i}: a cat naps in the sun", $"{door.Images.Name}/cat.png"))]);
        manifest["priority"] = "low";

        var clock = Stopwatch.StartNew();
        await door.DropAndDeliverAsync("big/batch.json", manifest);
        var started = clock.Elapsed;
        var result = await door.WaitForAllEndedAsync("big/batch.json", Patience.Job * 2);
        var ended = clock.Elapsed;
        output.WriteLine($"200-job batch: all started after {started.TotalSeconds:0.0} s, all ended after {ended.TotalSeconds:0.0} s");

        AssertCounts(result, total: Count, completed: Count);
        var entries = result.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(0, Count), entries.Select(e => e.GetProperty("index").GetInt32()));
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"clip-{i:000}"), entries.Select(e => e.GetProperty("id").GetString()));
        Assert.All(entries, e => Assert.Equal("completed", e.GetProperty("phase").GetString()));
        var named = entries.Select(e => e.GetProperty("video").GetProperty("blobName").GetString()!).ToHashSet();
        Assert.Equal(Count, named.Count);

        var archived = new HashSet<string>();
        await foreach (var item in pipeline.Videos.GetBlobsAsync())
        {
            if (item.Name.EndsWith(".mp4", StringComparison.Ordinal))
            {
                archived.Add(item.Name);
            }
        }

        Assert.Equal(named, archived);
        Assert.Equal(Count, pipeline.Fal.State.Submissions.Count);
        Assert.Equal(Count, pipeline.Fal.State.Submissions.Select(JobIdOf).Distinct().Count());
        // Each job's orchestration ends just after it wrote its result.
        await Poll.UntilAsync(async () => (await door.InstancesAsync()).Count(i => i.RuntimeStatus == OrchestrationRuntimeStatus.Completed) == Count, Patience.Job);
        Assert.Equal(Count, (await door.InstancesAsync()).Count);
    }

    // --- 6. Private images ---

    [Fact]
    public async Task PrivateBlobImages_ByPathAndByUrl_ReachFalByteForByte_AndStayPrivate()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        byte[] cat = TestImages.Png(40, 30), dog = TestImages.NoisyPng(24, 24, seed: 7);
        await ManifestDoor.UploadAsync(door.Images, "cat.png", cat);
        var dogBlob = await ManifestDoor.UploadAsync(door.Images, "pets/dog.png", dog);

        await door.DropAndDeliverAsync("private/job.json", Job(images: [$"{door.Images.Name}/cat.png", dogBlob.Uri.AbsoluteUri]));

        string jobId = JobIds((await door.ReadResultAsync("private/job.json"))!.Value).Single();
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(jobId)).RuntimeStatus);
        var sent = JsonDocument.Parse(Assert.Single(pipeline.Fal.State.Submissions).InputJson).RootElement.GetProperty("image_urls")
            .EnumerateArray().Select(u => u.GetString()!).ToList();
        Assert.Equal(2, sent.Count);
        Assert.All(sent, url => Assert.StartsWith(pipeline.Fal.BaseUrl + "/files/", url, StringComparison.Ordinal)); // through fal storage
        using var anonymous = new HttpClient();
        Assert.Equal(cat, await anonymous.GetByteArrayAsync(sent[0]));
        Assert.Equal(dog, await anonymous.GetByteArrayAsync(sent[1]));
        Assert.Equal(2, pipeline.Fal.State.GetCount(RequestKind.UploadPut));

        // Nothing was made public: the container allows no anonymous access, and an anonymous read is refused.
        Assert.Equal(PublicAccessType.None, (await door.Images.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        using var read = await anonymous.GetAsync(dogBlob.Uri);
        Assert.False(read.IsSuccessStatusCode, $"an anonymous read of the image answered {(int)read.StatusCode}");
    }

    [Fact]
    public async Task APrivateImage_IsStagedOnlyAsTheVersionThatWasChecked()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        byte[] cat = TestImages.Png(40, 30);
        var blob = await ManifestDoor.UploadAsync(door.Images, "cat.png", cat);
        string checkedVersion = (await blob.GetPropertiesAsync()).Value.ETag.ToString();
        var staging = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<VeoFunctions.Storage.ImageStaging>(pipeline.Functions.Services);
        var image = new VeoFunctions.Images.InspectedImage(VeoFunctions.Images.ImageFormat.Png, 40, 30);

        var staged = await staging.StageBlobAsync("job1", 0, new VeoFunctions.Jobs.BlobImage(door.Images.Name, "cat.png"), checkedVersion, image, CancellationToken.None);
        Assert.Equal(cat, (await staging.ReadAsync(staged, CancellationToken.None)).ToArray()); // streamed, byte for byte

        // Replaced after the check (by the pipeline): the unchecked bytes are never staged; the start fails and is retried.
        await ManifestDoor.UploadAsync(door.Images, "cat.png", TestImages.NoisyPng(24, 24, seed: 3));
        var refused = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => staging.StageBlobAsync("job2", 0, new VeoFunctions.Jobs.BlobImage(door.Images.Name, "cat.png"), checkedVersion, image, CancellationToken.None));
        Assert.Equal((int)HttpStatusCode.PreconditionFailed, refused.Status);
    }

    [Theory]
    [InlineData("missing.png", null, "There is no blob")]
    [InlineData("notes.png", "These are notes, not a picture.", "not a PNG, JPEG or WebP image")]
    public async Task APrivateImageThatIsMissingOrNotAnImage_GetsAnErrorFile_AndStartsNothing(string name, string? content, string reason)
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        if (content is not null)
        {
            await ManifestDoor.UploadAsync(door.Images, name, System.Text.Encoding.UTF8.GetBytes(content));
        }

        await door.DropAndDeliverAsync("private/bad.json", Batch(Job("fine"), Job("broken", images: [Png, $"{door.Images.Name}/{name}"])));

        var problem = Assert.Single((await door.ReadErrorsAsync("private/bad.json"))!.Value.GetProperty("problems").EnumerateArray().ToList());
        Assert.Equal(1, problem.GetProperty("job").GetInt32());
        Assert.Equal("broken", problem.GetProperty("id").GetString());
        Assert.Equal("image_urls[1]", problem.GetProperty("field").GetString());
        Assert.Contains(reason, problem.GetProperty("reason").GetString(), StringComparison.Ordinal);
        AssertNothingStarted(pipeline, await door.InstancesAsync());
        Assert.Null(await door.ReadResultAsync("private/bad.json"));
    }

    // --- 7. Priority ---

    [Fact]
    public async Task LowPriority_FromAManifestOrAnHttpBody_ReachesFalsLowPriorityQueue()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        var low = Job();
        low["priority"] = "low";

        await door.DropAndDeliverAsync("priority/low.json", low);
        string manifestJob = JobIds((await door.ReadResultAsync("priority/low.json"))!.Value).Single();
        string httpLow = await pipeline.StartJobAsync(new { prompt = "A fox", image_urls = new[] { Png }, priority = "low" });
        string httpDefault = await pipeline.StartJobAsync(new { prompt = "A fox", image_urls = new[] { Png } });
        foreach (string id in new[] { manifestJob, httpLow, httpDefault })
        {
            Assert.Equal(OrchestrationRuntimeStatus.Completed, (await pipeline.WaitForJobAsync(id)).RuntimeStatus);
        }

        var priorities = pipeline.Fal.State.Submissions.ToDictionary(JobIdOf, s => s.Priority);
        Assert.Equal("low", priorities[manifestJob]);
        Assert.Equal("low", priorities[httpLow]);
        Assert.Equal("normal", priorities[httpDefault]);
    }

    [Fact]
    public async Task AnUnknownPriority_IsRefusedAtBothDoors()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);
        var door = await ManifestDoor.OpenAsync(pipeline);
        var urgent = Job();
        urgent["priority"] = "urgent";

        await door.DropAndDeliverAsync("priority/urgent.json", urgent);
        using var response = await pipeline.PostJobAsync(new { prompt = "A fox", image_urls = new[] { Png }, priority = "urgent" });

        Assert.Equal("priority", Assert.Single((await door.ReadErrorsAsync("priority/urgent.json"))!.Value.GetProperty("problems").EnumerateArray().ToList()).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("priority", out _));
        AssertNothingStarted(pipeline, await door.InstancesAsync());
    }
}
