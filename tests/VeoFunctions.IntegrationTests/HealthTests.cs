using System.Net;
using System.Text.Json;
using FalEmulator;
using VeoFunctions.IntegrationTests.Infrastructure;

namespace VeoFunctions.IntegrationTests;

/// <summary><c>GET /api/health</c> against real storage and the emulator: what is reachable, and never a secret.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class HealthTests(Azurite azurite)
{
    private static async Task<(HttpStatusCode Status, string Body)> HealthAsync(Pipeline pipeline)
    {
        using var response = await pipeline.Http.GetAsync("/api/health");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static JsonElement Check(string body, string name) => JsonDocument.Parse(body).RootElement.GetProperty("checks").GetProperty(name);

    [Fact]
    public async Task WithEverythingReachable_ItIsHealthy()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);

        var (status, body) = await HealthAsync(pipeline);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("healthy", JsonDocument.Parse(body).RootElement.GetProperty("status").GetString());
        Assert.All(new[] { "storage", "falKey", "webhookKeys" }, name => Assert.True(Check(body, name).GetProperty("healthy").GetBoolean(), name));
        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Pricing));
    }

    [Fact]
    public async Task AFalKeyFalRefuses_IsUnhealthy_AndTheAnswerNamesNoKey()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, new EmulatorOptions { ExpectedKey = "another-id:another-secret" });

        var (status, body) = await HealthAsync(pipeline);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        var falKey = Check(body, "falKey");
        Assert.False(falKey.GetProperty("healthy").GetBoolean());
        Assert.Equal("fal answered 401", falKey.GetProperty("problem").GetString());
        Assert.True(Check(body, "storage").GetProperty("healthy").GetBoolean());
        Assert.DoesNotContain("test-secret", body, StringComparison.Ordinal);
        Assert.DoesNotContain("another-secret", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RepeatedHealthChecks_FetchFalsKeySetAtMostOnceAMinute_SharingTheWebhookDoorsLimit()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite);

        for (int i = 0; i < 5; i++)
        {
            var (status, body) = await HealthAsync(pipeline);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(Check(body, "webhookKeys").GetProperty("healthy").GetBoolean());
        }

        Assert.Equal(1, pipeline.Fal.State.GetCount(RequestKind.Jwks));
    }

    [Fact]
    public async Task AnUnreachableWebhookKeySet_IsUnhealthy()
    {
        await using var pipeline = await Pipeline.StartAsync(azurite, PipelineProbes.Fal(FaultRule.CallHttpError(RequestKind.Jwks, 503, count: null)));

        var (status, body) = await HealthAsync(pipeline);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.False(Check(body, "webhookKeys").GetProperty("healthy").GetBoolean());
        Assert.True(Check(body, "falKey").GetProperty("healthy").GetBoolean());
    }
}
