using Fal.Platform;
using Fal.Queue;
using Fal.Storage;
using Fal.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fal.Tests;

public sealed class FalServiceCollectionExtensionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings, string section = "Fal")
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddFalClient(section);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void AddFalClient_BindsOptionsFromConfiguration()
    {
        using var sp = Build(new()
        {
            ["Fal:Key"] = "id:secret",
            ["Fal:QueueBaseUrl"] = "http://127.0.0.1:9500",
            ["Fal:RestBaseUrl"] = "http://127.0.0.1:9501",
            ["Fal:JwksUrl"] = "http://127.0.0.1:9501/.well-known/jwks.json",
            ["Fal:PlatformBaseUrl"] = "http://127.0.0.1:9501/v1",
            ["Fal:AdminKey"] = "admin:secret",
            ["Fal:UploadLifetime"] = "1.00:00:00",
            ["Fal:MaxAttempts"] = "5",
            ["Fal:RetryBaseDelay"] = "00:00:00.250",
            ["Fal:RetryMaxDelay"] = "00:00:04",
            ["Fal:RequestTimeout"] = "00:00:07",
        });

        var options = sp.GetRequiredService<IOptions<FalOptions>>().Value;

        Assert.Equal("id:secret", options.Key);
        Assert.Equal(new Uri("http://127.0.0.1:9500"), options.QueueBaseUrl);
        Assert.Equal(new Uri("http://127.0.0.1:9501"), options.RestBaseUrl);
        Assert.Equal(new Uri("http://127.0.0.1:9501/.well-known/jwks.json"), options.JwksUrl);
        Assert.Equal(new Uri("http://127.0.0.1:9501/v1"), options.PlatformBaseUrl);
        Assert.Equal("admin:secret", options.AdminKey);
        Assert.Equal(TimeSpan.FromDays(1), options.UploadLifetime);
        Assert.Equal(5, options.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.RetryBaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(4), options.RetryMaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(7), sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(FalJwksKeySource)).Timeout);
    }

    [Fact]
    public void AddFalClient_KeepsProductionDefaults_ForUnsetHosts()
    {
        using var sp = Build(new() { ["Fal:Key"] = "id:secret" });

        var options = sp.GetRequiredService<IOptions<FalOptions>>().Value;

        Assert.Equal(new Uri("https://queue.fal.run"), options.QueueBaseUrl);
        Assert.Equal(new Uri("https://rest.fal.ai"), options.RestBaseUrl);
        Assert.Equal(new Uri("https://rest.fal.ai/.well-known/jwks.json"), options.JwksUrl);
        Assert.Equal(new Uri("https://api.fal.ai/v1"), options.PlatformBaseUrl);
        Assert.Null(options.AdminKey);
        Assert.Null(options.UploadLifetime);
        Assert.Equal(3, options.MaxAttempts);
    }

    [Fact]
    public void AddFalClient_BindsFromACustomSection()
    {
        using var sp = Build(new() { ["Video:Fal:Key"] = "custom:key" }, "Video:Fal");

        Assert.Equal("custom:key", sp.GetRequiredService<IOptions<FalOptions>>().Value.Key);
    }

    [Fact]
    public void AddFalClient_RegistersTheClients_AndOneSharedKeyCache()
    {
        using var sp = Build(new() { ["Fal:Key"] = "id:secret" });

        Assert.NotNull(sp.GetRequiredService<FalQueueClient>());
        Assert.NotNull(sp.GetRequiredService<FalStorageClient>());
        Assert.False(sp.GetRequiredService<FalPlatformClient>().HasAdminKey);
        Assert.NotNull(sp.GetRequiredService<FalWebhookVerifier>());
        var source = sp.GetRequiredService<IFalWebhookKeySource>();
        Assert.Same(source, sp.GetRequiredService<FalJwksKeySource>());
        Assert.Same(source, sp.GetRequiredService<IFalWebhookKeySource>());
        Assert.Same(TimeProvider.System, sp.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public async Task AddFalClient_FailsAtStartUp_WithoutAFalKey()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Fal:QueueBaseUrl"] = "http://127.0.0.1:9500" });
        builder.Services.AddFalClient();
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(ex.Failures, f => f.Contains(nameof(FalOptions.Key), StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddFalClient_FailsAtStartUp_WhenMaxAttemptsIsOutOfRange()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Fal:Key"] = "id:secret", ["Fal:MaxAttempts"] = "0" });
        builder.Services.AddFalClient();
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(ex.Failures, f => f.Contains(nameof(FalOptions.MaxAttempts), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:01:00")]
    public async Task AddFalClient_FailsAtStartUp_WhenTheUploadLifetimeIsNotPositive(string lifetime)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Fal:Key"] = "id:secret", ["Fal:UploadLifetime"] = lifetime });
        builder.Services.AddFalClient();
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(ex.Failures, f => f.Contains(nameof(FalOptions.UploadLifetime), StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddFalClient_StartsWithAKey()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Fal:Key"] = "id:secret" });
        builder.Services.AddFalClient();
        using var host = builder.Build();

        await host.StartAsync();

        Assert.Equal("id:secret", host.Services.GetRequiredService<IOptions<FalOptions>>().Value.Key);
        await host.StopAsync();
    }
}
