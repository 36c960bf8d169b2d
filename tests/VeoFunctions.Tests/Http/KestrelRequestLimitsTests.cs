using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using VeoFunctions.Http;
using VeoFunctions.Jobs;

namespace VeoFunctions.Tests.Http;

/// <summary>The Function App as Program builds it: its worker's Kestrel takes a body of Jobs:MaxRequestBytes.</summary>
public sealed class KestrelRequestLimitsTests
{
    private static KestrelServerOptions WorkerKestrel(string? maxRequestBytes = null)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        var settings = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Fal:Key"] = "test-id:test-secret",
            ["Jobs:PublicBaseUrl"] = "https://app.example",
        };
        if (maxRequestBytes is not null)
        {
            settings["Jobs:MaxRequestBytes"] = maxRequestBytes;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        VeoFunctionsApp.Configure(builder);
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;
    }

    [Fact]
    public void TheWorkersKestrel_TakesTheDocumented40MegabytesAndTheHeadroom()
    {
        long? cap = WorkerKestrel().Limits.MaxRequestBodySize;

        Assert.Equal(new JobOptions().MaxRequestBytes + (long)KestrelRequestLimits.Headroom, cap);
        Assert.True(cap > 40 * 1024 * 1024);
    }

    [Fact]
    public void TheWorkersKestrel_FollowsAConfiguredLimit()
    {
        Assert.Equal(100_000_000L + KestrelRequestLimits.Headroom, WorkerKestrel("100000000").Limits.MaxRequestBodySize);
    }
}
