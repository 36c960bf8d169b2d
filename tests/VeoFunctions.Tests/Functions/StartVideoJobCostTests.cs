using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Functions;
using VeoFunctions.Http;
using VeoFunctions.Jobs;
using VeoFunctions.Money;
using VeoFunctions.Storage;
using VeoFunctions.Testing;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Functions;

/// <summary>The HTTP door's money: the estimate in the 202 and the job's input, and a budget that refuses before anything starts.</summary>
public sealed class StartVideoJobCostTests
{
    private readonly FakeBlobStorage _storage = new();
    private readonly FakeDurableClient _durable = new();
    private readonly JobOptions _jobs = TestBodies.Jobs();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-08-20T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly MoneyOptions _money = TestMoney.Options();

    private StartVideoJob Function()
    {
        var containers = _storage.Containers();
        var spending = TestMoney.Spending(_storage, _time, _money);
        var scheduler = new JobScheduler(new ImageStaging(containers), new JobClaims(containers, _time), new JobIndex(containers), Options.Create(_jobs), _time, spending);
        return new StartVideoJob(TestBodies.Parser(_jobs), scheduler, Options.Create(_jobs), spending);
    }

    private Task<IActionResult> PostAsync(JsonNode body, string? key = null) =>
        Function().RunAsync(TestRequests.Post(TestBodies.Bytes(body), headers: key is null ? null : new Dictionary<string, string> { [StartVideoJob.IdempotencyKeyHeader] = key }), _durable.Object, CancellationToken.None);

    private static JsonObject Body(string resolution = "1080p", bool audio = true)
    {
        var body = TestBodies.Valid();
        body["resolution"] = resolution;
        body["generate_audio"] = audio;
        return body;
    }

    [Fact]
    public async Task TheAnswer_CarriesTheEstimate_AndSoDoesTheJobsInput()
    {
        var result = await PostAsync(Body("4k", audio: false));

        var cost = TestRequests.BodyOf(result).GetProperty("cost");
        Assert.Equal(3.20m, cost.GetProperty("estimatedUsd").GetDecimal());
        Assert.True(cost.GetProperty("isEstimate").GetBoolean());
        Assert.Equal("pending", cost.GetProperty("billing").GetString());
        Assert.Equal(0.40m, cost.GetProperty("usdPerSecond").GetDecimal());
        var input = _durable.Scheduled.Single().Input as VideoJobInput;
        Assert.Equal(3.20m, input!.Quote!.Estimate.EstimatedUsd);
        Assert.Null(input.Quote.BudgetDay);
    }

    [Fact]
    public async Task OverTheBudget_Is402WithRetryAfter_AndNothingIsStarted()
    {
        _money.DailyBudgetUsd = 5m;
        Assert.IsType<AcceptedResult>(await PostAsync(Body()));
        var request = TestRequests.Post(TestBodies.Bytes(Body()));

        var result = await Function().RunAsync(request, _durable.Object, CancellationToken.None);

        Assert.Equal(StatusCodes.Status402PaymentRequired, TestRequests.StatusOf(result));
        var problem = Assert.IsType<ProblemDetails>(Assert.IsAssignableFrom<ObjectResult>(result).Value);
        Assert.EndsWith("/over-budget", problem.Type, StringComparison.Ordinal);
        Assert.Contains("1.80 USD left", problem.Detail, StringComparison.Ordinal);
        Assert.Equal(3.2m, problem.Extensions["estimatedUsd"]);
        Assert.Equal(TimeSpan.FromHours(12), Assert.IsType<Problems.RetryLaterResult>(result).RetryAfter);
        Assert.Single(_durable.Scheduled);
    }

    [Fact]
    public async Task ABudgetThatCannotBeWrittenInTime_Is503BudgetBusy_WithRetryAfter_AndNothingIsReservedOrStarted()
    {
        // One process: its starts share the day's writer. Storage holds the first start's write (a throttled table).
        _money.DailyBudgetUsd = 100m;
        _money.BudgetBusyAfter = TimeSpan.FromMilliseconds(300);
        var function = Function();
        _storage.TableService.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = function.RunAsync(TestRequests.Post(TestBodies.Bytes(Body())), _durable.Object, CancellationToken.None);
        await _storage.TableService.Held.Task.WaitAsync(Patience.Condition);

        var busy = await function.RunAsync(TestRequests.Post(TestBodies.Bytes(Body())), _durable.Object, CancellationToken.None).WaitAsync(Patience.Condition);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, TestRequests.StatusOf(busy));
        var problem = Assert.IsType<ProblemDetails>(Assert.IsAssignableFrom<ObjectResult>(busy).Value);
        Assert.EndsWith("/budget-busy", problem.Type, StringComparison.Ordinal);
        Assert.Equal(BudgetBusyException.RetryAfter, Assert.IsType<Problems.RetryLaterResult>(busy).RetryAfter);
        _storage.TableService.Hold.SetResult();
        Assert.IsType<AcceptedResult>(await first.WaitAsync(Patience.Condition));
        Assert.Single(_durable.Scheduled); // the first start only
        var day = await TestMoney.Budget(_storage, _time, _money).ReadAsync(DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime), CancellationToken.None);
        Assert.Equal((3.2m, 1), (day.ReservedUsd, day.Jobs)); // the busy start reserved nothing
    }

    [Fact]
    public async Task AKeyRefusedForTheBudget_StartsItsJobOnceTheBudgetHasRoom()
    {
        _money.DailyBudgetUsd = 1m;
        Assert.Equal(StatusCodes.Status402PaymentRequired, TestRequests.StatusOf(await PostAsync(Body(), key: "order-7")));

        _money.DailyBudgetUsd = 10m;
        var result = await PostAsync(Body(), key: "order-7");

        Assert.IsType<AcceptedResult>(result);
        Assert.False(TestRequests.BodyOf(result).GetProperty("replayed").GetBoolean());
        Assert.Equal(new DateOnly(2026, 8, 20), (_durable.Scheduled.Single().Input as VideoJobInput)!.Quote!.BudgetDay);
    }

    [Fact]
    public async Task AReplayedKey_IsTheSameJob_AndReservesNothingMore()
    {
        _money.DailyBudgetUsd = 5m;
        Assert.IsType<AcceptedResult>(await PostAsync(Body(), key: "order-8"));

        var replay = await PostAsync(Body(), key: "order-8");

        Assert.True(TestRequests.BodyOf(replay).GetProperty("replayed").GetBoolean());
        var budget = await TestMoney.Budget(_storage, _time, _money)
            .ReadAsync(new DateOnly(2026, 8, 20), CancellationToken.None);
        Assert.Equal(3.2m, budget.ReservedUsd);
    }
}
