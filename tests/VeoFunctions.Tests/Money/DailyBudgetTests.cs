using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Money;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Money;

/// <summary>Reservation, settlement and release on the day's rows of the budget table (on Azurite: the integration tests).</summary>
public sealed class DailyBudgetTests
{
    private static readonly DateOnly Day = new(2026, 8, 20);
    private readonly FakeBlobStorage _storage = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-08-20T22:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly MoneyOptions _money = new() { DailyBudgetUsd = 10m };

    private DailyBudget Budget() => TestMoney.Budget(_storage, _time, _money);

    [Fact]
    public async Task AReservationThatFits_IsKept_AndCountsAsReserved()
    {
        var reservation = await Budget().ReserveAsync(Day, [("job1", 3.2m)], CancellationToken.None);

        Assert.True(reservation.Reserved);
        Assert.Equal(["job1"], reservation.Created);
        var budget = await Budget().ReadAsync(Day, CancellationToken.None);
        Assert.Equal((10m, 3.2m, 0m, 6.8m), (budget.BudgetUsd, budget.ReservedUsd, budget.SpentUsd, budget.RemainingUsd));
        Assert.Equal(DateTimeOffset.Parse("2026-08-21T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), budget.ResetsAt);
        Assert.Equal(7200, budget.SecondsToReset);
    }

    [Fact]
    public async Task AReservationThatWouldExceedTheBudget_IsRefused_AndChangesNothing()
    {
        var budget = Budget();
        await budget.ReserveAsync(Day, [("job1", 3.2m), ("job2", 3.2m), ("job3", 3.2m)], CancellationToken.None);

        var refused = await budget.ReserveAsync(Day, [("job4", 3.2m)], CancellationToken.None);

        Assert.False(refused.Reserved);
        Assert.Equal(3.2m, refused.NeededUsd);
        Assert.Equal(0.4m, refused.Budget.RemainingUsd);
        Assert.Equal(9.6m, (await budget.ReadAsync(Day, CancellationToken.None)).ReservedUsd);
        Assert.Contains("0.40 USD left", refused.Budget.Refusal(refused.NeededUsd), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABatch_IsReservedWhole_OrNotAtAll()
    {
        var budget = Budget();

        var refused = await budget.ReserveAsync(Day, [("a", 3.2m), ("b", 3.2m), ("c", 3.2m), ("d", 3.2m)], CancellationToken.None);

        Assert.False(refused.Reserved);
        Assert.Equal(12.8m, refused.NeededUsd);
        Assert.Equal(0, (await budget.ReadAsync(Day, CancellationToken.None)).Jobs);
    }

    [Fact]
    public async Task ReservingAgainForAJobThatHoldsAReservation_CountsItOnce()
    {
        var budget = Budget();
        await budget.ReserveAsync(Day, [("job1", 3.2m)], CancellationToken.None);

        var again = await budget.ReserveAsync(Day, [("job1", 3.2m)], CancellationToken.None);

        Assert.True(again.Reserved);
        Assert.Empty(again.Created);
        Assert.Equal(3.2m, (await budget.ReadAsync(Day, CancellationToken.None)).ReservedUsd);
    }

    [Fact]
    public async Task ARelease_GivesTheEstimateBack()
    {
        var budget = Budget();
        await budget.ReserveAsync(Day, [("job1", 3.2m)], CancellationToken.None);

        await budget.SettleAsync(Day, "job1", 3.2m, null, billed: false, CancellationToken.None);

        var after = await budget.ReadAsync(Day, CancellationToken.None);
        Assert.Equal((0m, 0m, 10m), (after.ReservedUsd, after.SpentUsd, after.RemainingUsd));
    }

    [Fact]
    public async Task FalsBilledCost_ReplacesTheEstimate()
    {
        var budget = Budget();
        await budget.ReserveAsync(Day, [("job1", 3.2m)], CancellationToken.None);

        await budget.SettleAsync(Day, "job1", 3.2m, 2.5m, billed: true, CancellationToken.None);

        var after = await budget.ReadAsync(Day, CancellationToken.None);
        Assert.Equal((0m, 2.5m, 7.5m), (after.ReservedUsd, after.SpentUsd, after.RemainingUsd));
    }

    [Fact]
    public async Task ABilledJobWithoutItsBillKnown_CountsItsEstimateAsSpent()
    {
        var budget = Budget();
        await budget.ReserveAsync(Day, [("job1", 3.2m)], CancellationToken.None);

        await budget.SettleAsync(Day, "job1", 3.2m, null, billed: true, CancellationToken.None);

        Assert.Equal(3.2m, (await budget.ReadAsync(Day, CancellationToken.None)).SpentUsd);
    }

    [Fact]
    public async Task ABatchLargerThanOneTableTransaction_IsReservedWhole_OrNotAtAll()
    {
        _money.DailyBudgetUsd = 300m;
        var budget = Budget();

        var whole = await budget.ReserveAsync(Day, Enumerable.Range(0, 250).Select(i => ($"a{i}", 1m)).ToList(), CancellationToken.None, holder: "batch-a");
        var refused = await budget.ReserveAsync(Day, Enumerable.Range(0, 150).Select(i => ($"b{i}", 1m)).ToList(), CancellationToken.None, holder: "batch-b");

        Assert.True(whole.Reserved);
        Assert.Equal(250, whole.Created.Count);
        Assert.False(refused.Reserved);
        Assert.Equal(150m, refused.NeededUsd);
        var after = await budget.ReadAsync(Day, CancellationToken.None);
        Assert.Equal((250m, 50m), (after.ReservedUsd, after.RemainingUsd));
        Assert.True((await budget.ReserveAsync(Day, [("b0", 50m)], CancellationToken.None, holder: "c")).Reserved); // what batch b held for a while is free again
    }

    [Fact]
    public async Task TheEarlierReleasesBlobOfTheDay_CountsAsItsStart_ItsHoldersStillReleaseAndItsJobsSettle_AndItIsOnlyClosed()
    {
        var legacy = BinaryData.FromString("""
            {"day":"2026-08-20","jobs":{
              "held":{"estimatedUsd":3.2,"actualUsd":null,"state":"reserved","updatedAt":"2026-08-20T10:00:00+00:00","holder":"start-a"},
              "billed":{"estimatedUsd":3.2,"actualUsd":2.5,"state":"spent","updatedAt":"2026-08-20T10:00:00+00:00"},
              "gone":{"estimatedUsd":3.2,"actualUsd":null,"state":"released","updatedAt":"2026-08-20T10:00:00+00:00","holder":"start-c"}}}
            """);
        _storage.Put("veo-work", DailyBudget.BlobName(Day), legacy);
        var budget = Budget();

        var start = await budget.ReadAsync(Day, CancellationToken.None);
        var refused = await budget.ReserveAsync(Day, [("new", 4.4m)], CancellationToken.None, holder: "start-d");
        await budget.ReleaseAsync(Day, "held", "start-a", CancellationToken.None);
        await budget.SettleAsync(Day, "billed", 3.2m, 2.5m, billed: true, CancellationToken.None);
        var end = await Budget().ReadAsync(Day, CancellationToken.None);

        Assert.Equal((3.2m, 2.5m, 3), (start.ReservedUsd, start.SpentUsd, start.Jobs));
        Assert.False(refused.Reserved);
        Assert.Equal((0m, 2.5m, 7.5m), (end.ReservedUsd, end.SpentUsd, end.RemainingUsd));
        var blob = JsonNode.Parse(_storage.Blobs[$"veo-work/{DailyBudget.BlobName(Day)}"].ToString())!["jobs"]!.AsObject();
        Assert.Equal(["held", "billed", "gone", DailyBudget.LegacyClosedKey], blob.Select(entry => entry.Key)); // its entries as they were, and the close
        Assert.Equal(JsonNode.Parse(legacy.ToString())!["jobs"]!["held"]!.ToJsonString(), blob["held"]!.ToJsonString());
    }

    [Fact]
    public async Task AnEarlierReleaseStillServing_AfterTheTableSeededItsDay_AdmitsNothingMore_SoTogetherTheyStayWithinTheLimit()
    {
        // Rolling deploy: the earlier release spent 6 of 10 today in its blob; the new release seeds the table and reserves.
        var legacy = new JsonObject { ["day"] = "2026-08-20", ["jobs"] = new JsonObject { ["old1"] = Entry(6m, "spent") } };
        _storage.Put("veo-work", DailyBudget.BlobName(Day), BinaryData.FromString(legacy.ToJsonString()));
        Assert.True((await Budget().ReserveAsync(Day, [("new1", 3.2m)], CancellationToken.None, holder: "n")).Reserved);

        // An instance of the earlier release, still serving, decides on its blob as it always did.
        bool admitted = EarlierReleaseReserves(Day, "old2", 3.2m);

        Assert.False(admitted);
        var table = await Budget().ReadAsync(Day, CancellationToken.None);
        Assert.Equal((3.2m, 6m), (table.ReservedUsd, table.SpentUsd));
        Assert.False(await Budget().ReserveAsync(Day, [("new2", 3.2m)], CancellationToken.None, holder: "n") is { Reserved: true });
    }

    [Fact]
    public async Task ADayTheEarlierReleaseHasNotWritten_IsClosedToItToo_WhenTheTableStartsIt()
    {
        Assert.True((await Budget().ReserveAsync(Day, [("new1", 8m)], CancellationToken.None, holder: "n")).Reserved);

        Assert.False(EarlierReleaseReserves(Day, "old1", 3.2m)); // it would have found an empty day and admitted it
        Assert.Equal(8m, (await Budget().ReadAsync(Day, CancellationToken.None)).ReservedUsd);
    }

    [Fact]
    public async Task SeedersThatReadTheBlobAtDifferentMoments_LeaveTotalsThatCountEveryRowAsTheTableHoldsIt()
    {
        // A seeder read the blob while "held" was reserved, inserted its row and stopped before the totals; the earlier
        // release then settled "held" in the blob. The next seeder reads the blob as it is now.
        _storage.Put("veo-work", DailyBudget.BlobName(Day), BinaryData.FromString(new JsonObject
        {
            ["day"] = "2026-08-20",
            ["jobs"] = new JsonObject { ["held"] = Entry(3.2m, "spent", actual: 2.5m), [DailyBudget.LegacyClosedKey] = Entry(1_000_000_000_000m, "reserved") },
        }.ToJsonString()));
        var table = await _storage.Tables().BudgetAsync();
        await table.SubmitTransactionAsync([new TableTransactionAction(TableTransactionActionType.Add, BudgetDay.ToEntity(BudgetDay.Partition(Day), "held", new BudgetEntry(3.2m, null, BudgetEntry.Reserved, _time.GetUtcNow(), "start-a")))]);
        var budget = Budget();

        Assert.True((await budget.ReserveAsync(Day, [("new1", 1m)], CancellationToken.None, holder: "n")).Reserved);
        var seeded = await budget.ReadAsync(Day, CancellationToken.None);
        await budget.SettleAsync(Day, "held", 3.2m, 2.5m, billed: true, CancellationToken.None);
        var settled = await budget.ReadAsync(Day, CancellationToken.None);

        Assert.Equal((4.2m, 0m, 2), (seeded.ReservedUsd, seeded.SpentUsd, seeded.Jobs)); // the row as the table holds it
        Assert.Equal((1m, 2.5m), (settled.ReservedUsd, settled.SpentUsd));
    }

    private static JsonObject Entry(decimal usd, string state, decimal? actual = null) => new()
    {
        ["estimatedUsd"] = usd, ["actualUsd"] = actual, ["state"] = state, ["updatedAt"] = "2026-08-20T10:00:00+00:00", ["holder"] = "old",
    };

    // The release before the table, as it reserves (main before the budget table): one blob per day, the day's
    // reserved estimates and spent costs against the limit, the entry added under the blob's ETag.
    private bool EarlierReleaseReserves(DateOnly day, string jobId, decimal usd)
    {
        string key = $"veo-work/{DailyBudget.BlobName(day)}";
        var document = _storage.Blobs.TryGetValue(key, out var blob) ? JsonNode.Parse(blob.ToString())!.AsObject() : new JsonObject { ["day"] = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), ["jobs"] = new JsonObject() };
        var jobs = document["jobs"]!.AsObject();
        decimal committed = jobs.Select(entry => entry.Value!).Sum(entry => entry["state"]!.GetValue<string>() switch
        {
            "reserved" => entry["estimatedUsd"]!.GetValue<decimal>(),
            "spent" => entry["actualUsd"]?.GetValue<decimal>() ?? entry["estimatedUsd"]!.GetValue<decimal>(),
            _ => 0m,
        });
        if (committed + usd > _money.DailyBudgetUsd)
        {
            return false;
        }

        jobs[jobId] = Entry(usd, "reserved");
        _storage.Put("veo-work", DailyBudget.BlobName(day), BinaryData.FromString(document.ToJsonString()));
        return true;
    }

    [Fact]
    public async Task TwoHundredConcurrentStartsInOneProcess_ShareTheirWrites_SoEachCostsAFewRequestsNotARetryPerRival()
    {
        _money.DailyBudgetUsd = 150 * 3.2m;
        var budget = Budget();
        await budget.ReserveAsync(Day, [("warm", 0m)], CancellationToken.None, holder: "warm"); // the day's table and totals exist
        int before = _storage.TableService.Requests + _storage.Uploads;

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => budget.ReserveAsync(Day, [($"job{i}", 3.2m)], CancellationToken.None, holder: $"start{i}"))));

        double perStart = (_storage.TableService.Requests + _storage.Uploads - before) / 200.0;
        Assert.Equal(150, outcomes.Count(o => o.Reserved));
        Assert.Equal(150 * 3.2m, (await budget.ReadAsync(Day, CancellationToken.None)).ReservedUsd);
        Assert.InRange(perStart, 1, 3); // a read of its own row, and its share of the group's totals read and transaction
    }

    [Fact]
    public async Task WithoutABudget_TheDayStillShowsItsSpend_ButNoLimit()
    {
        _money.DailyBudgetUsd = null;

        var snapshot = await Budget().ReadAsync(Day, CancellationToken.None);

        Assert.False(snapshot.Enabled);
        Assert.Null(snapshot.RemainingUsd);
        Assert.False(Budget().Enabled);
    }
}
