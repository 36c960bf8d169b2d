using System.Text;
using Fal;
using Fal.Platform;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;
using VeoFunctions.Archive;
using VeoFunctions.Jobs.Activities;
using VeoFunctions.Money;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Money;

/// <summary>
/// Cost truth at a job's end: "not billed" only from fal's own word or its billing's silence past the horizon; a job fal
/// may have billed counts as spent at its estimate, shows possiblyBilled and is logged as paid and lost.
/// </summary>
public sealed class SettleJobCostTests : IDisposable
{
    private const string JobId = "job1";
    private const decimal JobUsd = 3.2m;
    private static readonly DateOnly Day = new(2026, 8, 20);
    private static readonly JobQuote Quote = new(new CostEstimate(JobUsd, 8, 0.4m, "720p", true, "table"), Day);

    private readonly FakeBlobStorage _storage = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-08-20T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly MoneyOptions _money = new() { DailyBudgetUsd = 10m };
    private readonly Mock<ILogger<SettleJobCost>> _logger = new();
    private readonly NoBillingEvents _fal = new();

    public SettleJobCostTests() => _logger.Setup(l => l.IsEnabled(It.IsAny<LogLevel>())).Returns(true);

    public void Dispose() => _fal.Dispose();

    private DailyBudget Budget() => TestMoney.Budget(_storage, _time, _money);

    private async Task<JobCost> SettleAsync(string? requestId, FalBillingHint hint, bool final, bool adminKey = true)
    {
        var containers = _storage.Containers();
        await Budget().ReserveAsync(Day, [(JobId, JobUsd)], CancellationToken.None, holder: "start");
        var platform = new FalPlatformClient(new HttpClient(_fal), Options.Create(new FalOptions { Key = "id:secret", AdminKey = adminKey ? "admin:secret" : null, MaxAttempts = 1 }), _time, NullLogger<FalPlatformClient>.Instance);
        using var http = new HttpClient();
        var activity = new SettleJobCost(platform, Budget(), new VideoArchive(http, containers, Options.Create(new ArchiveOptions()), Mock.Of<IOptionsMonitor<FalOptions>>(m => m.CurrentValue == new FalOptions()), Options.Create(new VeoFunctions.Images.ImageOptions()), _time, NullLogger<VideoArchive>.Instance),
            new SubmissionLedger(containers), Options.Create(_money), _logger.Object, TestMetrics.Create());
        return await activity.RunAsync(Mock.Of<TaskActivityContext>(), new CostSettlement(JobId, Quote, requestId, hint, null, final));
    }

    private async Task<(decimal Reserved, decimal Spent)> DayAsync()
    {
        var day = await Budget().ReadAsync(Day, CancellationToken.None);
        return (day.ReservedUsd, day.SpentUsd);
    }

    private void VerifyPaidAndLost(Times times) => _logger.Verify(l => l.Log(LogLevel.Error, It.IsAny<EventId>(),
        It.Is<It.IsAnyType>((state, _) => state.ToString()!.Contains("paid and lost", StringComparison.Ordinal)), It.IsAny<Exception?>(), It.IsAny<Func<It.IsAnyType, Exception?, string>>()), times);

    [Fact]
    public async Task ALostSubmitNeverFound_IsPossiblyBilled_CountsAsSpentAtItsEstimate_AndIsLoggedAsPaidAndLost()
    {
        Assert.True(await new SubmissionLedger(_storage.Containers()).TryBeginAsync(JobId, "token", 1, CancellationToken.None)); // the submit began; its answer was lost

        var cost = await SettleAsync(requestId: null, FalBillingHint.Unknown, final: false);

        Assert.Equal(JobBilling.PossiblyBilled, cost.Billing);
        Assert.Equal((0m, JobUsd), await DayAsync());
        VerifyPaidAndLost(Times.Once());
    }

    [Fact]
    public async Task AJobThatEndedBeforeAnySubmit_IsNotBilled_AndGivesItsReservationBack()
    {
        var cost = await SettleAsync(requestId: null, FalBillingHint.Unknown, final: false);

        Assert.Equal(JobBilling.NotBilled, cost.Billing);
        Assert.Equal((0m, 0m), await DayAsync());
        VerifyPaidAndLost(Times.Never());
    }

    [Fact]
    public async Task AnEndFalSaysItDoesNotBill_WithoutFalsBillingToConfirmIt_IsPossiblyBilled_AndCountsAsSpent()
    {
        var cost = await SettleAsync("req-1", FalBillingHint.NotBilled, final: false, adminKey: false);

        Assert.Equal(JobBilling.PossiblyBilled, cost.Billing);
        Assert.Equal((0m, JobUsd), await DayAsync());
        VerifyPaidAndLost(Times.Once());
    }

    [Fact]
    public async Task AnEndFalSaysItDoesNotBill_IsNotConcludedUnbilled_BeforeTheBillingHorizon()
    {
        var cost = await SettleAsync("req-1", FalBillingHint.NotBilled, final: false);

        Assert.Equal(JobBilling.Pending, cost.Billing);
        Assert.Equal((JobUsd, 0m), await DayAsync());
        Assert.Equal(1, _fal.Calls);
    }

    [Fact]
    public async Task AnEndFalSaysItDoesNotBill_WithBillingSilentPastTheHorizon_IsNotBilled_AndGivesItsReservationBack()
    {
        var cost = await SettleAsync("req-1", FalBillingHint.NotBilled, final: true);

        Assert.Equal(JobBilling.NotBilled, cost.Billing);
        Assert.Equal((0m, 0m), await DayAsync());
        VerifyPaidAndLost(Times.Never());
    }

    // fal's billing events: none booked for any request.
    private sealed class NoBillingEvents : HttpMessageHandler
    {
        public int Calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            Assert.Equal("/v1/models/billing-events", request.RequestUri!.AbsolutePath);
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK)
            {
                Content = new StringContent("""{"billing_events":[],"next_cursor":null,"has_more":false}""", Encoding.UTF8, "application/json"),
            });
        }
    }
}
