using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VeoFunctions.Storage;

namespace VeoFunctions.Tests.Storage;

/// <summary>The BlobServiceClient and TableServiceClient as AddJobStorage registers them: from Storage:ConnectionString or the service URIs.</summary>
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
    [InlineData(null, "https://stexample.table.core.windows.net/")] // beside the blob service's
    [InlineData("https://tables.example.net/", "https://tables.example.net/")] // set
    public void TheBudgetsTableClient_IsOnTheAccountsTableService_WithTheAppsIdentity(string? tableUri, string expected)
    {
        using var services = Services(new() { ["Storage:BlobServiceUri"] = "https://stexample.blob.core.windows.net/", ["Storage:TableServiceUri"] = tableUri });

        var client = services.GetRequiredService<TableServiceClient>();

        Assert.Equal(new Uri(expected), client.Uri);
        Assert.NotNull(services.GetRequiredService<StorageTables>());
    }

    [Fact]
    public void ABlobServiceUriTheTableServiceCannotBeToldFrom_AsksForTheTableServiceUri()
    {
        using var services = Services(new() { ["Storage:BlobServiceUri"] = "https://storage.example.net/" });

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<StorageOptions>>().Value);

        Assert.Contains("Storage:TableServiceUri", ex.Message, StringComparison.Ordinal);
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
