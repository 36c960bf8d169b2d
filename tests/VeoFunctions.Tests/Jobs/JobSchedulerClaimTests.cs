using System.Text.Json;
using Azure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Jobs;
using VeoFunctions.Money;
using VeoFunctions.Storage;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Jobs;

/// <summary>A caller-chosen job id once its orchestration history is gone: the claim decides, and never bills twice.</summary>
public sealed class JobSchedulerClaimTests
{
    private const string JobId = "kclaimtestjob";
    private const string Work = "veo-work";

    private readonly FakeBlobStorage _storage = new();
    private readonly FakeDurableClient _durable = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2025-06-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly JobScheduler _scheduler;

    public JobSchedulerClaimTests()
    {
        var containers = _storage.Containers();
        _scheduler = new JobScheduler(new ImageStaging(containers), new JobClaims(containers, _time), new JobIndex(containers), Options.Create(TestBodies.Jobs()), _time);
    }

    private static readonly byte[] Body = TestBodies.Bytes(TestBodies.Valid());

    private static string Fingerprint(byte[] body) => JobScheduler.Fingerprint(body);

    private Task<ScheduleOutcome> ScheduleAsync(byte[]? body = null)
    {
        body ??= Body;
        var draft = TestBodies.Parser().Parse(body).Draft!;
        return _scheduler.ScheduleAsync(_durable.Object, JobId, draft, Fingerprint(body), callerChosenId: true, CancellationToken.None);
    }

    private JsonElement Claim() => JsonDocument.Parse(_storage.Blobs[$"{Work}/{JobClaims.BlobName(JobId)}"].ToString()).RootElement;

    private void Purge() => Assert.True(_durable.Instances.TryRemove(JobId, out _));

    [Fact]
    public async Task AStartedJob_ItsClaimRecordsTheFingerprintTheClaimTimeAndThatItStarted()
    {
        Assert.Equal(ScheduleOutcome.Started, await ScheduleAsync());

        var claim = Claim();
        Assert.Equal(Fingerprint(Body), claim.GetProperty("fingerprint").GetString());
        Assert.Equal(_time.GetUtcNow(), claim.GetProperty("claimedAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.String, claim.GetProperty("startedAt").ValueKind);
        Assert.False(_storage.Blobs.ContainsKey($"{Work}/{JobClaims.LegacyBlobName(JobId)}"));
    }

    [Fact]
    public async Task TheSameRequestAgain_AfterTheInstanceWasPurged_IsAlreadyExists_AndSchedulesNothing()
    {
        await ScheduleAsync();
        Purge();
        _time.Advance(TimeSpan.FromDays(30));

        Assert.Equal(ScheduleOutcome.AlreadyExists, await ScheduleAsync());
        _durable.VerifyScheduled(1);
    }

    [Fact]
    public async Task ADifferentRequest_AfterTheInstanceWasPurged_IsConflict()
    {
        await ScheduleAsync();
        Purge();
        var other = TestBodies.Valid();
        other["prompt"] = "Another video.";

        Assert.Equal(ScheduleOutcome.Conflict, await ScheduleAsync(TestBodies.Bytes(other)));
        _durable.VerifyScheduled(1);
    }

    [Fact]
    public async Task AnUnstartedClaimPastAbandonedClaimAfter_WithNoInstance_IsTakenOver_AndMarkedStarted()
    {
        var claims = new JobClaims(_storage.Containers(), _time);
        await claims.ClaimAsync(JobId, Fingerprint(Body), CancellationToken.None); // its starter died here
        _time.Advance(JobScheduler.AbandonedClaimAfter);

        Assert.Equal(ScheduleOutcome.Started, await ScheduleAsync());
        _durable.VerifyScheduled(1);
        Assert.Equal(JsonValueKind.String, Claim().GetProperty("startedAt").ValueKind);
    }

    [Fact]
    public async Task AReplayWhileTheInstanceExists_MarksAClaimItsStarterLeftUnmarked()
    {
        await ScheduleAsync();
        _storage.Put(Work, JobClaims.BlobName(JobId), BinaryData.FromString(
            $$"""{"fingerprint":"{{Fingerprint(Body)}}","claimedAt":"2025-06-01T12:00:00Z","startedAt":null}""")); // as if the mark was lost

        Assert.Equal(ScheduleOutcome.AlreadyExists, await ScheduleAsync());

        Assert.Equal(JsonValueKind.String, Claim().GetProperty("startedAt").ValueKind);
        _durable.VerifyScheduled(1);
    }

    [Fact]
    public async Task AClaimWrittenByThePreviousRelease_IsStillFound_AsStarted()
    {
        _storage.Put(Work, JobClaims.LegacyBlobName(JobId), BinaryData.FromString(Fingerprint(Body)));
        _time.Advance(TimeSpan.FromDays(30)); // old enough to look abandoned, were it not taken as started

        Assert.Equal(ScheduleOutcome.AlreadyExists, await ScheduleAsync());
        _durable.VerifyScheduled(0);
        Assert.False(_storage.Blobs.ContainsKey($"{Work}/{JobClaims.BlobName(JobId)}"));
    }

    [Fact]
    public async Task AClaimWrittenByThePreviousRelease_ForAnotherRequest_IsConflict()
    {
        _storage.Put(Work, JobClaims.LegacyBlobName(JobId), BinaryData.FromString(Fingerprint("{\"other\":true}"u8.ToArray())));

        Assert.Equal(ScheduleOutcome.Conflict, await ScheduleAsync());
        _durable.VerifyScheduled(0);
    }

    [Fact]
    public async Task AClaimCreateWhoseAnswerWasLost_AndThatTheRetryFoundTaken_IsRecognisedAsOurs()
    {
        var claims = new JobClaims(_storage.Containers(), _time);
        int lost = 0;
        _storage.AfterUpload = key => key.EndsWith(JobClaims.BlobName(JobId), StringComparison.Ordinal) && lost++ == 0
            ? new RequestFailedException(409, "The blob already exists.", "BlobAlreadyExists", null)
            : null;

        var claim = await claims.ClaimAsync(JobId, Fingerprint(Body), CancellationToken.None);

        Assert.True(claim.Won);
        Assert.False(claim.Started);
    }

    [Fact]
    public async Task MarkingAClaimThatAnotherStarterMarkedFirst_LeavesTheirMarkAndDoesNotThrow()
    {
        var claims = new JobClaims(_storage.Containers(), _time);
        var ours = await claims.ClaimAsync(JobId, Fingerprint(Body), CancellationToken.None);
        await claims.MarkStartedAsync(JobId, ours, CancellationToken.None);
        string marked = _storage.Blobs[$"{Work}/{JobClaims.BlobName(JobId)}"].ToString();
        _time.Advance(TimeSpan.FromSeconds(5));

        await claims.MarkStartedAsync(JobId, ours, CancellationToken.None); // a stale ETag: 412, swallowed

        Assert.Equal(marked, _storage.Blobs[$"{Work}/{JobClaims.BlobName(JobId)}"].ToString());
    }
}
