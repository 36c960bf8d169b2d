using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using VeoFunctions.Jobs;
using VeoFunctions.Money;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Money;

/// <summary>Estimates: seconds × the rate for resolution and audio, from fal's price applied to the table, or the table alone.</summary>
public sealed class PriceListTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-08-20T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly FalPricing _fal = new();

    public void Dispose() => _fal.Dispose();

    private PriceList Prices(MoneyOptions? money = null) => TestMoney.Prices(Options.Create(money ?? new MoneyOptions()), _time, _fal);

    [Theory]
    [InlineData("720p", false, 1.60)]
    [InlineData("720p", true, 3.20)]
    [InlineData("1080p", false, 1.60)]
    [InlineData("1080p", true, 3.20)]
    [InlineData("4k", false, 3.20)]
    [InlineData("4k", true, 4.80)]
    public async Task TheTable_PricesEightSecondsByResolutionAndAudio(string resolution, bool audio, double expected)
    {
        var card = await Prices(new MoneyOptions { PriceSource = PriceSource.Table }).GetAsync(CancellationToken.None);

        var estimate = card.Estimate(new VideoRequest("p", Duration: "8s", Resolution: resolution, GenerateAudio: audio));

        Assert.Equal((decimal)expected, estimate.EstimatedUsd);
        Assert.Equal(8, estimate.Seconds);
        Assert.Equal("table", estimate.PriceSource);
        Assert.Equal(0, _fal.Calls);
    }

    [Fact]
    public async Task WhatTheRequestLeavesOut_IsPricedAsTheModelsDefaults_EightSeconds720pWithAudio()
    {
        var card = await Prices(new MoneyOptions { PriceSource = PriceSource.Table }).GetAsync(CancellationToken.None);

        var estimate = card.Estimate(new VideoRequest("p"));

        Assert.Equal(3.20m, estimate.EstimatedUsd);
        Assert.Equal(("720p", true, 0.40m), (estimate.Resolution, estimate.Audio, estimate.UsdPerSecond));
    }

    [Fact]
    public async Task FalsPrice_IsTheRateOfTheDefaultOutput_AndScalesEveryRateOfTheTable()
    {
        _fal.UnitPrice = 0.48m; // 20 % over the table's 720p-with-audio rate

        var card = await Prices().GetAsync(CancellationToken.None);

        Assert.Equal("fal", card.Source);
        Assert.Equal(0.48m, card.PerSecond("720p", true));
        Assert.Equal(0.24m, card.PerSecond("1080p", false));
        Assert.Equal(0.72m, card.PerSecond("4k", true));
        Assert.Equal(5.76m, card.Estimate(new VideoRequest("p", Resolution: "4k")).EstimatedUsd);
    }

    [Theory]
    [InlineData(0.32)] // a 20 % discount
    [InlineData(0.12)] // 0.3x: a cheaper variant's price while billing stays at list (red-team finding 7)
    public async Task FalsPriceUnderTheTables_NeverLowersAnEstimate_SoTheBudgetAdmitsNoMoreJobsThanTheTableAllows(double unitPrice)
    {
        _fal.UnitPrice = (decimal)unitPrice;
        var money = TestMoney.Options(dailyBudgetUsd: 10 * 3.20m);
        money.PriceSource = PriceSource.Fal;
        var storage = new FakeBlobStorage();
        var spending = new JobSpending(TestMoney.Prices(Options.Create(money), _time, _fal), TestMoney.Budget(storage, _time, money), Options.Create(money));

        var quote = await spending.QuoteAsync(new VideoRequest("p"), CancellationToken.None);
        int admitted = 0;
        while ((await spending.ReserveAsync([($"job{admitted}", quote)], CancellationToken.None, holder: "start"))!.Reserved)
        {
            admitted++;
        }

        Assert.Equal((3.20m, "table"), (quote.Estimate.EstimatedUsd, quote.Estimate.PriceSource));
        Assert.Equal(10, admitted);
    }

    [Fact]
    public async Task FalsPrice_IsCachedForTheConfiguredTime_ThenAskedAgain()
    {
        var prices = Prices(new MoneyOptions { PricingCacheDuration = TimeSpan.FromHours(1) });
        await prices.GetAsync(CancellationToken.None);
        _fal.UnitPrice = 0.60m;

        var cached = await prices.GetAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(1));
        var fresh = await prices.GetAsync(CancellationToken.None);

        Assert.Equal(0.40m, cached.PerSecond("720p", true));
        Assert.Equal(0.60m, fresh.PerSecond("720p", true));
        Assert.Equal(2, _fal.Calls);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError, "second", "USD")]
    [InlineData(HttpStatusCode.Unauthorized, "second", "USD")]
    [InlineData(HttpStatusCode.OK, "video", "USD")]
    [InlineData(HttpStatusCode.OK, "second", "EUR")]
    public async Task WhenFalsPriceCannotBeReadOrUnderstood_TheTableIsUsed(HttpStatusCode status, string unit, string currency)
    {
        (_fal.Status, _fal.Unit, _fal.Currency, _fal.UnitPrice) = (status, unit, currency, 9m);

        var card = await Prices(new MoneyOptions { Rates = { ["720p"] = new() { Silent = 0.25m, WithAudio = 0.45m } } }).GetAsync(CancellationToken.None);

        Assert.Equal("table", card.Source);
        Assert.Equal(0.45m, card.PerSecond("720p", true));
    }

    [Fact]
    public async Task AFalOutage_IsRememberedForAMinute_SoTheDoorsDoNotWaitOnFalEachTime()
    {
        _fal.Status = HttpStatusCode.ServiceUnavailable;
        var prices = Prices();
        await prices.GetAsync(CancellationToken.None);
        await prices.GetAsync(CancellationToken.None);
        int whileDown = _fal.Calls;
        _fal.Status = HttpStatusCode.OK;
        _time.Advance(TimeSpan.FromMinutes(1));

        var card = await prices.GetAsync(CancellationToken.None);

        Assert.Equal(1, whileDown);
        Assert.Equal("fal", card.Source);
    }

    [Fact]
    public async Task TheTableOverride_NeverAsksFal()
    {
        _fal.UnitPrice = 0.10m;

        var card = await Prices(new MoneyOptions { PriceSource = PriceSource.Table }).GetAsync(CancellationToken.None);

        Assert.Equal(("table", 0.40m), (card.Source, card.PerSecond("1080p", true)));
        Assert.Equal(0, _fal.Calls);
    }

    /// <summary>fal's <c>GET /v1/models/pricing</c>, as configured by the test.</summary>
    [Theory]
    [InlineData(0)] // a glitch that would turn the budget off
    [InlineData(0.09)] // under a quarter of the table's 0.40
    [InlineData(1.61)] // over four times it
    public async Task FalsPriceOutsideAQuarterToFourTimesTheTables_FallsBackToTheTable_AndIsLogged(double unitPrice)
    {
        _fal.UnitPrice = (decimal)unitPrice;
        var logger = new Moq.Mock<Microsoft.Extensions.Logging.ILogger<PriceList>>();
        logger.Setup(l => l.IsEnabled(Moq.It.IsAny<Microsoft.Extensions.Logging.LogLevel>())).Returns(true);
        var money = Options.Create(new MoneyOptions());
        using var prices = new PriceList(new Fal.Platform.FalPlatformClient(new HttpClient(_fal), Options.Create(new Fal.FalOptions { Key = "id:secret", MaxAttempts = 1 }), _time,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Fal.Platform.FalPlatformClient>.Instance), money, _time, logger.Object);

        var card = await prices.GetAsync(CancellationToken.None);

        Assert.Equal(("table", 3.20m), (card.Source, card.Estimate(new VideoRequest("p")).EstimatedUsd));
        logger.Verify(l => l.Log(Microsoft.Extensions.Logging.LogLevel.Warning, Moq.It.Is<Microsoft.Extensions.Logging.EventId>(e => e.Id == 7003), Moq.It.IsAny<Moq.It.IsAnyType>(),
            Moq.It.IsAny<Exception?>(), Moq.It.IsAny<Func<Moq.It.IsAnyType, Exception?, string>>()), Moq.Times.Once);
    }

    [Theory]
    [InlineData(0.10, "table", 0.40)] // a quarter of the table: believed, but never under the table
    [InlineData(1.60, "fal", 1.60)] // four times it: believed
    public async Task FalsPriceAtTheEdgesOfTheBand_IsBelieved(double unitPrice, string expectedSource, double expectedRate)
    {
        _fal.UnitPrice = (decimal)unitPrice;

        var card = await Prices().GetAsync(CancellationToken.None);

        Assert.Equal((expectedSource, (decimal)expectedRate), (card.Source, card.PerSecond("720p", true)));
    }

    private sealed class FalPricing : HttpMessageHandler
    {
        public decimal UnitPrice { get; set; } = 0.40m;

        public string Unit { get; set; } = "second";

        public string Currency { get; set; } = "USD";

        public HttpStatusCode Status { get; set; } = HttpStatusCode.OK;

        public int Calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            Assert.Equal("/v1/models/pricing", request.RequestUri!.AbsolutePath);
            Assert.Contains("endpoint_id=fal-ai%2Fveo3.1%2Freference-to-video", request.RequestUri.Query, StringComparison.Ordinal);
            string json = Status == HttpStatusCode.OK
                ? FormattableString.Invariant($$"""{"prices":[{"endpoint_id":"fal-ai/veo3.1/reference-to-video","unit_price":{{UnitPrice}},"unit":"{{Unit}}","currency":"{{Currency}}"}],"next_cursor":null,"has_more":false}""")
                : """{"error":{"type":"server_error","message":"down"}}""";
            return Task.FromResult(new HttpResponseMessage(Status) { Content = new StringContent(json, Encoding.UTF8, "application/json") });
        }
    }
}
