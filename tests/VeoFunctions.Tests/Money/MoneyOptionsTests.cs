using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VeoFunctions.Money;

namespace VeoFunctions.Tests.Money;

/// <summary>The Money section as app settings bind it.</summary>
public sealed class MoneyOptionsTests
{
    private static MoneyOptions Bind(Dictionary<string, string?> settings) =>
        new ServiceCollection().AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).AddMoney()
            .BuildServiceProvider().GetRequiredService<IOptions<MoneyOptions>>().Value;

    [Fact]
    public void AnEmptyBudgetSetting_TurnsTheBudgetOff()
    {
        Assert.Null(Bind(new() { ["Money:DailyBudgetUsd"] = "" }).DailyBudgetUsd);
        Assert.Equal(25.5m, Bind(new() { ["Money:DailyBudgetUsd"] = "25.5" }).DailyBudgetUsd);
    }

    [Fact]
    public void ARateSetting_OverridesOneRate_AndKeepsTheOtherDefaults()
    {
        var money = Bind(new() { ["Money:Rates:4k:WithAudio"] = "0.75" });

        Assert.Equal((0.40m, 0.75m), (money.Rates["4k"].Silent, money.Rates["4K"].WithAudio));
        Assert.Equal(0.40m, money.Rates["1080p"].WithAudio);
    }
}
