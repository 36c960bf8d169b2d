using Fal;
using Fal.Platform;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VeoFunctions.Money;
using VeoFunctions.Storage;

namespace VeoFunctions.Tests.Support;

/// <summary>The money services as the doors get them, on fake storage; fal's pricing is never asked (table prices).</summary>
internal static class TestMoney
{
    public static MoneyOptions Options(decimal? dailyBudgetUsd = null) => new() { PriceSource = PriceSource.Table, DailyBudgetUsd = dailyBudgetUsd };

    public static JobSpending Spending(BlobContainers containers, TimeProvider time, MoneyOptions? money = null)
    {
        var options = Microsoft.Extensions.Options.Options.Create(money ?? Options());
        return new JobSpending(Prices(options, time), new DailyBudget(containers, options, time, NullLogger<DailyBudget>.Instance), options);
    }

    public static PriceList Prices(IOptions<MoneyOptions> options, TimeProvider time, HttpMessageHandler? fal = null) =>
        new(new FalPlatformClient(new HttpClient(fal ?? new NoNetwork()), Microsoft.Extensions.Options.Options.Create(new FalOptions { Key = "id:secret", MaxAttempts = 1 }), time, NullLogger<FalPlatformClient>.Instance),
            options, time, NullLogger<PriceList>.Instance);

    private sealed class NoNetwork : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("No network in unit tests.");
    }
}
