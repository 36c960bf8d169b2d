using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VeoFunctions.Archive;
using VeoFunctions.Tests.Support;

namespace VeoFunctions.Tests.Archive;

/// <summary>The archive's time limits: bound and validated at start-up, and all inside host.json's functionTimeout.</summary>
public sealed class ArchiveOptionsTests
{
    private static ServiceProvider Services(Dictionary<string, string?>? settings = null) => new ServiceCollection()
        .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build())
        .AddLogging()
        .AddVideoArchive()
        .BuildServiceProvider();

    private static TimeSpan FunctionTimeout() =>
        TimeSpan.Parse(RepositoryFiles.HostJson().GetProperty("functionTimeout").GetString()!, CultureInfo.InvariantCulture);

    private static TimeSpan Maximum(string property) => TimeSpan.Parse(
        (string)typeof(ArchiveOptions).GetProperty(property)!.GetCustomAttributes(typeof(RangeAttribute), false).Cast<RangeAttribute>().Single().Maximum,
        CultureInfo.InvariantCulture);

    [Fact]
    public void TheDefaultsAndTheLargestAllowedValues_SitInsideTheFunctionTimeout()
    {
        var function = FunctionTimeout();
        var defaults = new ArchiveOptions();

        Assert.Equal(TimeSpan.FromSeconds(60), defaults.IdleTimeout);
        Assert.True(defaults.IdleTimeout < defaults.Timeout);
        Assert.True(defaults.Timeout < function, $"Archive:Timeout {defaults.Timeout} should be inside functionTimeout {function}.");
        Assert.True(Maximum(nameof(ArchiveOptions.Timeout)) < function);
        Assert.True(Maximum(nameof(ArchiveOptions.IdleTimeout)) < function);
    }

    [Fact]
    public void TheArchivesHttpClient_TimesOutWithTheArchive_InsideTheFunctionTimeout()
    {
        using var services = Services(new() { ["Archive:Timeout"] = "00:07:00" });

        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(VideoArchive));

        Assert.Equal(TimeSpan.FromMinutes(7), client.Timeout);
        Assert.True(new ArchiveOptions().Timeout < FunctionTimeout());
    }

    [Theory]
    [InlineData("00:02:00", "00:01:00")]
    [InlineData("00:00:00", "00:08:00")]
    [InlineData("00:01:00", "00:15:00")]
    public void LimitsThatCannotWork_AreRefusedAtStartUp(string idle, string total)
    {
        using var services = Services(new() { ["Archive:IdleTimeout"] = idle, ["Archive:Timeout"] = total });

        Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ArchiveOptions>>().Value);
    }
}
