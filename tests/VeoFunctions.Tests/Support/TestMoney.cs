using Fal;
using Fal.Platform;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VeoFunctions.Money;

namespace VeoFunctions.Tests.Support;

/// <summary>The money services as the doors get them, on fake storage; fal's pricing is never asked (table prices).</summary>
internal static class TestMoney
{
    public static MoneyOptions Options(decimal? dailyBudgetUsd = null) => new() { PriceSource = PriceSource.Table, DailyBudgetUsd = dailyBudgetUsd };

    public static JobSpending Spending(FakeBlobStorage storage, TimeProvider time, MoneyOptions? money = null)
    {
        var options = Microsoft.Extensions.Options.Options.Create(money ?? Options());
        return new JobSpending(Prices(options, time), Budget(storage, time, options.Value), options);
    }

    /// <summary>A budget on the fake account's work container (earlier days' blobs) and table; each one is a process of its own.</summary>
    public static DailyBudget Budget(FakeBlobStorage storage, TimeProvider time, MoneyOptions money) =>
        new(storage.Containers(), storage.Tables(), Microsoft.Extensions.Options.Options.Create(money), time, NullLogger<DailyBudget>.Instance);

    public static PriceList Prices(IOptions<MoneyOptions> options, TimeProvider time, HttpMessageHandler? fal = null) =>
        new(new FalPlatformClient(new HttpClient(fal ?? new NoNetwork()), Microsoft.Extensions.Options.Options.Create(new FalOptions { Key = "id:secret", MaxAttempts = 1 }), time, NullLogger<FalPlatformClient>.Instance),
            options, time, NullLogger<PriceList>.Instance);

    private sealed class NoNetwork : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("No network in unit tests.");
    }
}
