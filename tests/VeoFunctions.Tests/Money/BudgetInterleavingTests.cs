using System.Text.Json.Nodes;
using Azure;
using Grpc.Core;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Jobs;
using VeoFunctions.Money;
using VeoFunctions.Storage;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Money;

/// <summary>
/// The interleavings of a start that once walked past the daily budget: a failed start left a released entry that a
/// retry of the same key took for a reservation, and a start whose only failure came after scheduling released the
/// reservation of a job that runs. Each is played here step by step; the concurrent whole runs over HTTP in
/// <c>BudgetTests</c>.
/// </summary>
public sealed class BudgetInterleavingTests
{
    private const string Work = "veo-work";
    private const decimal JobUsd = 3.2m; // the default job: 8 s of 720p with audio at the table's rate
    private static readonly DateOnly Day = new(2025, 6, 1);
    private static readonly byte[] Body = TestBodies.Bytes(TestBodies.Valid());

    private readonly FakeBlobStorage _storage = new();
    private readonly FakeDurableClient _durable = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2025-06-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly MoneyOptions _money = TestMoney.Options(dailyBudgetUsd: JobUsd);

    private DailyBudget Budget() => TestMoney.Budget(_storage, _time, _money);

    private JobScheduler Scheduler()
    {
        var containers = _storage.Containers();
        return new JobScheduler(new ImageStaging(containers), new JobClaims(containers, _time), new JobIndex(containers), Options.Create(TestBodies.Jobs()), _time,
            TestMoney.Spending(_storage, _time, _money));
    }

    // Generous: each waits for another start, running on the thread pool of a busy machine, to reach a step.
    private static readonly TimeSpan StepReached = TimeSpan.FromMinutes(1);

    private Task<ScheduleOutcome> StartAsync(string key = "key-1", byte[]? body = null) =>
        Scheduler().ScheduleAsync(_durable.Object, JobScheduler.JobIdFor(key), TestBodies.Parser().Parse(body ?? Body).Draft!, JobScheduler.Fingerprint(body ?? Body), callerChosenId: true, CancellationToken.None);

    private async Task<BudgetSnapshot> DayAsync() => await Budget().ReadAsync(Day, CancellationToken.None);

    [Fact]
    public async Task AReleasedEntry_IsNoReservation_ReservingItAgainTakesRoom_OrIsRefused()
    {
        _money.DailyBudgetUsd = 2 * JobUsd;
        var budget = Budget();
        await budget.ReserveAsync(Day, [("job1", JobUsd)], CancellationToken.None, holder: "a");
        await budget.ReleaseAsync(Day, "job1", "a", CancellationToken.None);

        var again = await budget.ReserveAsync(Day, [("job1", JobUsd)], CancellationToken.None, holder: "b");
        Assert.True(again.Reserved);
        Assert.Equal(["job1"], again.Created);
        Assert.Equal(JobUsd, (await DayAsync()).ReservedUsd);

        await budget.ReleaseAsync(Day, "job1", "b", CancellationToken.None);
        await budget.ReserveAsync(Day, [("job2", JobUsd), ("job3", JobUsd)], CancellationToken.None, holder: "c");
        var full = await budget.ReserveAsync(Day, [("job1", JobUsd)], CancellationToken.None, holder: "d");
        Assert.False(full.Reserved);
        Assert.Equal(2 * JobUsd, (await DayAsync()).ReservedUsd);
    }

    [Fact]
    public async Task AStartThatNoLongerHoldsTheReservation_CannotGiveItBack()
    {
        var budget = Budget();
        await budget.ReserveAsync(Day, [("job1", JobUsd)], CancellationToken.None, holder: "first");
        await budget.ReserveAsync(Day, [("job1", JobUsd)], CancellationToken.None, holder: "second"); // took the claim over: the reservation passes to it

        await budget.ReleaseAsync(Day, "job1", "first", CancellationToken.None);

        Assert.Equal(JobUsd, (await DayAsync()).ReservedUsd);
    }

    [Fact]
    public async Task AHandOver_TakesNoRoom_SoItIsNotRefused_EvenOnADayOverItsLimit()
    {
        var budget = Budget();
        await budget.ReserveAsync(Day, [("job1", JobUsd)], CancellationToken.None, holder: "first");
        _money.DailyBudgetUsd = 1m; // lowered below what is already reserved

        var handedOver = await budget.ReserveAsync(Day, [("job1", JobUsd)], CancellationToken.None, holder: "second");
        await budget.ReleaseAsync(Day, "job1", "second", CancellationToken.None);

        Assert.True(handedOver.Reserved);
        Assert.Equal(0m, (await DayAsync()).ReservedUsd); // the new holder's give-back is honoured
    }

    [Fact]
    public async Task AGiveBack_NeverUndoesASettledCost()
    {
        var budget = Budget();
        await budget.ReserveAsync(Day, [("job1", JobUsd)], CancellationToken.None, holder: "a");
        await budget.SettleAsync(Day, "job1", JobUsd, null, billed: true, CancellationToken.None);

        await budget.ReleaseAsync(Day, "job1", "a", CancellationToken.None);

        Assert.Equal((0m, JobUsd), ((await DayAsync()).ReservedUsd, (await DayAsync()).SpentUsd));
    }

    [Fact]
    public async Task AStartThatFailsWhileStaging_GivesBackClaimAndReservation_AndTheSameKeyAgainNeedsRoom()
    {
        // The client disconnects just before the job is scheduled: the request's token cancels the last write before it.
        _storage.AfterUpload = key => key.Contains("/index/", StringComparison.Ordinal) ? new OperationCanceledException("The client disconnected.") : null;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => StartAsync());
        _storage.AfterUpload = null;
        Assert.Equal(0m, (await DayAsync()).ReservedUsd);
        Assert.False(_storage.Blobs.ContainsKey($"{Work}/{JobClaims.BlobName(JobScheduler.JobIdFor("key-1"))}"));

        Assert.Equal(ScheduleOutcome.Started, await StartAsync("key-2")); // takes the day's room
        _time.Advance(TimeSpan.FromMinutes(2)); // past AbandonedClaimAfter, were the claim still there

        Assert.Equal(ScheduleOutcome.OverBudget, await StartAsync());
        _durable.VerifyScheduled(1);
        Assert.Equal(JobUsd, (await DayAsync()).ReservedUsd);
    }

    [Fact]
    public async Task AStartThatFailsOnlyAfterScheduling_KeepsTheReservationOfTheJobItStarted()
    {
        // The job is scheduled; then marking its claim started fails.
        int claimWrites = 0;
        _storage.AfterUpload = key => key.EndsWith(JobClaims.BlobName(JobScheduler.JobIdFor("key-1")), StringComparison.Ordinal) && ++claimWrites == 3 // claimed, fenced, marked
            ? new RequestFailedException(503, "The server is busy.", "ServerBusy", null)
            : null;

        await Assert.ThrowsAsync<RequestFailedException>(() => StartAsync());

        _durable.VerifyScheduled(1);
        Assert.Equal(JobUsd, (await DayAsync()).ReservedUsd);
        Assert.Equal(ScheduleOutcome.OverBudget, await StartAsync("key-2"));
    }

    [Fact]
    public async Task AStartWhoseScheduleCallFailed_KeepsTheReservation_AndARetryOfTheKeyInheritsIt()
    {
        _money.DailyBudgetUsd = 2 * JobUsd;
        int calls = 0;
        _durable.BeforeSchedule = _ => calls++ == 0 ? new RpcException(new Status(StatusCode.Unavailable, "The sidecar is restarting.")) : null;

        await Assert.ThrowsAsync<RpcException>(() => StartAsync());
        Assert.Equal(JobUsd, (await DayAsync()).ReservedUsd); // the job may exist: its reservation stays
        Assert.Equal(ScheduleOutcome.Started, await StartAsync("key-2"));
        _time.Advance(JobScheduler.AbandonedClaimAfter);

        Assert.Equal(ScheduleOutcome.Started, await StartAsync()); // takes its claim over, and with it the reservation

        Assert.Equal(2 * JobUsd, (await DayAsync()).ReservedUsd);
        Assert.Equal(ScheduleOutcome.OverBudget, await StartAsync("key-3"));
    }

    [Fact]
    public async Task AClaimTakenOver_CanNeitherBeGivenBackNorMarkedByItsFormerStarter()
    {
        var claims = new JobClaims(_storage.Containers(), _time);
        var fingerprint = JobScheduler.Fingerprint(Body);
        var first = await claims.ClaimAsync("job1", fingerprint, CancellationToken.None);
        _time.Advance(JobScheduler.AbandonedClaimAfter);
        var taken = await claims.TakeOverAsync("job1", first, CancellationToken.None);

        Assert.NotNull(taken);
        Assert.Null(await claims.TakeOverAsync("job1", first, CancellationToken.None)); // a second taker loses
        Assert.False(await claims.ReleaseAsync("job1", first, CancellationToken.None));
        await claims.MarkStartedAsync("job1", first, CancellationToken.None);
        Assert.False((await claims.FindAsync("job1", CancellationToken.None))!.Started);
        Assert.True(await claims.ReleaseAsync("job1", taken!, CancellationToken.None));
    }

    [Fact]
    public async Task AFormerStarter_ThatWakesAfterItsTakerGaveBack_SchedulesNothing_SoTheDayStaysWithinItsLimit()
    {
        // S1 stalls staging its data: image past AbandonedClaimAfter. S2, the same key retried, takes the claim over and
        // with it the reservation, then its client disconnects while it stages: it gives both back. Then S1 wakes.
        byte[] body = TestBodies.Bytes(new JsonObject { ["prompt"] = "A heron on a frozen pond.", ["image_urls"] = new JsonArray(TestBodies.PngDataUri()) });
        using var s1Stalled = new ManualResetEventSlim();
        using var s1Wakes = new ManualResetEventSlim();
        int stagings = 0;
        _storage.AfterUpload = key =>
        {
            if (!key.Contains("/" + ImageStaging.Prefix, StringComparison.Ordinal))
            {
                return null;
            }

            switch (Interlocked.Increment(ref stagings))
            {
                case 1:
                    s1Stalled.Set();
                    Assert.True(s1Wakes.Wait(StepReached), "the test let S1 go on");
                    return null;
                case 2:
                    return new OperationCanceledException("S2's client disconnected.");
                default:
                    return null;
            }
        };

        var s1 = Task.Run(() => StartAsync(body: body));
        Assert.True(s1Stalled.Wait(StepReached), "S1 reached its staging write");
        _time.Advance(JobScheduler.AbandonedClaimAfter + TimeSpan.FromSeconds(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => StartAsync(body: body));
        Assert.Equal(0m, (await DayAsync()).ReservedUsd); // S2 gave it back
        s1Wakes.Set();

        Assert.Equal(ScheduleOutcome.Starting, await s1); // its claim is gone: it starts nothing, and its caller asks again
        _durable.VerifyScheduled(0);
        Assert.Equal(0m, (await DayAsync()).ReservedUsd);

        // The day's room is free again, and no job runs without a reservation: the next start fits, and the day holds.
        Assert.Equal(ScheduleOutcome.Started, await StartAsync("key-2"));
        Assert.Equal(JobUsd, (await DayAsync()).ReservedUsd);
        Assert.Single(_durable.Instances);
    }

    [Fact]
    public async Task AStartThatFencedItsClaim_IsNeverGivenBack_ByATakerThatFailsAfterIt()
    {
        // S1 fenced its claim and called the engine, which never answered (a restarting sidecar): the job may exist. S2 takes
        // the claim over and fails while it stages. Nothing is given back: the reservation stays the job's.
        _storage.AfterUpload = null;
        _durable.BeforeSchedule = _ => new RpcException(new Status(StatusCode.DeadlineExceeded, "The engine did not answer."));
        await Assert.ThrowsAsync<RpcException>(() => StartAsync());
        _durable.BeforeSchedule = null;
        _time.Advance(JobScheduler.AbandonedClaimAfter + TimeSpan.FromSeconds(1));

        _storage.AfterUpload = key => key.Contains("/index/", StringComparison.Ordinal) ? new OperationCanceledException("S2's client disconnected.") : null;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => StartAsync());
        _storage.AfterUpload = null;

        Assert.Equal(JobUsd, (await DayAsync()).ReservedUsd);
        var claim = await new JobClaims(_storage.Containers(), _time).FindAsync(JobScheduler.JobIdFor("key-1"), CancellationToken.None);
        Assert.True(claim is { Scheduling: true, Started: false }, $"{claim}");
        Assert.Equal(ScheduleOutcome.OverBudget, await StartAsync("key-2"));
    }

    [Fact]
    public async Task AStaleScheduleCall_NeverReplacesTheJobItRacedWith_EvenOnceThatJobEnded()
    {
        // S1's schedule call stalls past AbandonedClaimAfter; S2, the same key retried, finds no job yet, takes the claim
        // over and goes on to schedule too. Just before S2's call, S1's lands and its job ends at once (an image refused).
        string jobId = JobScheduler.JobIdFor("key-1");
        using var s1Calling = new ManualResetEventSlim();
        using var s1Lands = new ManualResetEventSlim();
        Task<ScheduleOutcome>? s1 = null;
        int calls = 0;
        _durable.BeforeSchedule = _ =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                s1Calling.Set();
                Assert.True(s1Lands.Wait(StepReached), "the test let S1's call land");
                return null;
            }

            s1Lands.Set();
            Assert.True(s1!.Wait(StepReached), "S1's start returned");
            var landed = Assert.Single(_durable.Scheduled);
            _durable.Add(jobId, OrchestrationRuntimeStatus.Completed, landed.Input);
            return null;
        };

        s1 = Task.Run(() => StartAsync());
        Assert.True(s1Calling.Wait(StepReached), "S1 called the engine");
        _time.Advance(JobScheduler.AbandonedClaimAfter + TimeSpan.FromSeconds(1));

        Assert.Equal(ScheduleOutcome.AlreadyExists, await StartAsync());

        Assert.Equal(ScheduleOutcome.Started, await s1);
        Assert.Single(_durable.Scheduled);
        var job = _durable.Instances[jobId];
        Assert.Equal(OrchestrationRuntimeStatus.Completed, job.RuntimeStatus);
        Assert.Equal(((VideoJobInput)_durable.Scheduled.Single().Input!).WebhookUrl, job.ReadInputAs<VideoJobInput>()!.WebhookUrl);
        Assert.True((await new JobClaims(_storage.Containers(), _time).FindAsync(jobId, CancellationToken.None))!.Started);
    }
}
