using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VeoFunctions.Storage;

namespace VeoFunctions.Tests.Storage;

/// <summary>The BlobServiceClient as AddJobStorage registers it: from Storage:ConnectionString or Storage:BlobServiceUri.</summary>
public sealed class StorageRegistrationTests
{
    private static ServiceProvider Services(Dictionary<string, string?> settings) => new ServiceCollection()
        .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
        .AddLogging()
        .AddJobStorage()
        .BuildServiceProvider();

    [Fact]
    public void AConnectionString_GivesAClientSignedWithItsAccountKey()
    {
        using var services = Services(new() { ["Storage:ConnectionString"] = "UseDevelopmentStorage=true" });

        var client = services.GetRequiredService<BlobServiceClient>();

        Assert.Equal("devstoreaccount1", client.AccountName);
        Assert.True(client.CanGenerateAccountSasUri); // a shared key: only a connection string brings one
        Assert.Same(client, services.GetRequiredService<BlobServiceClient>());
    }

    [Fact]
    public void AServiceUri_GivesAClientOnThatUri_WithATokenCredentialInsteadOfAKey()
    {
        var uri = new Uri("https://stexample.blob.core.windows.net/");
        using var services = Services(new() { ["Storage:BlobServiceUri"] = uri.AbsoluteUri });

        var client = services.GetRequiredService<BlobServiceClient>();

        Assert.Equal(uri, client.Uri);
        Assert.False(client.CanGenerateAccountSasUri);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("UseDevelopmentStorage=true", "https://stexample.blob.core.windows.net/")]
    public void NeitherOrBothEndpoints_AreRefusedWithTheSettingsNamed(string? connectionString, string? serviceUri)
    {
        using var services = Services(new() { ["Storage:ConnectionString"] = connectionString, ["Storage:BlobServiceUri"] = serviceUri });

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<BlobServiceClient>());

        Assert.Contains("Storage:ConnectionString or Storage:BlobServiceUri", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:30")]
    [InlineData("1.00:00:01")]
    public void ADownloadLinkLifetimeOutsideAMinuteToADay_IsRefused(string lifetime)
    {
        using var services = Services(new() { ["Storage:ConnectionString"] = "UseDevelopmentStorage=true", ["Storage:DownloadLinkLifetime"] = lifetime });

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<StorageOptions>>().Value);

        Assert.Contains(nameof(StorageOptions.DownloadLinkLifetime), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDownloadLinkLifetime_IsAnHourUnlessSet()
    {
        using var services = Services(new() { ["Storage:ConnectionString"] = "UseDevelopmentStorage=true" });

        Assert.Equal(TimeSpan.FromHours(1), services.GetRequiredService<IOptions<StorageOptions>>().Value.DownloadLinkLifetime);
        Assert.NotNull(services.GetRequiredService<VideoLinks>());
    }
}
