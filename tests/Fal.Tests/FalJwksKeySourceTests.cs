using System.Net;
using Fal.Webhooks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NSec.Cryptography;

namespace Fal.Tests;

public sealed class FalJwksKeySourceTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly WebhookSigner _a = new();
    private readonly WebhookSigner _b = new();

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private static byte[] Raw(PublicKey key) => key.Export(KeyBlobFormat.RawPublicKey);

    [Fact]
    public async Task GetKeys_FetchesOnce_AndServesTheCacheForADay()
    {
        var jwks = new JwksServer(WebhookSigner.Jwks(_a));
        using var source = jwks.Source(_time);

        var first = await source.GetKeysAsync(CancellationToken.None);
        _time.Advance(FalJwksKeySource.CacheLifetime - TimeSpan.FromSeconds(1));
        var second = await source.GetKeysAsync(CancellationToken.None);

        Assert.Equal(1, jwks.Fetches);
        Assert.Equal(Raw(_a.PublicKey), Raw(Assert.Single(first)));
        Assert.Same(first, second);

        jwks.Jwks = WebhookSigner.Jwks(_b);
        _time.Advance(TimeSpan.FromSeconds(1));
        var third = await source.GetKeysAsync(CancellationToken.None);

        Assert.Equal(2, jwks.Fetches);
        Assert.Equal(Raw(_b.PublicKey), Raw(Assert.Single(third)));
        Assert.Equal(TimeSpan.FromDays(1), FalJwksKeySource.CacheLifetime);
    }

    [Fact]
    public async Task GetKeys_FetchesFromTheConfiguredJwksUrl_WithoutTheFalKey()
    {
        var jwks = new JwksServer(WebhookSigner.Jwks(_a));
        using var source = jwks.Source(_time);

        await source.GetKeysAsync(CancellationToken.None);

        var seen = Assert.Single(jwks.Handler.Seen);
        Assert.Equal(HttpMethod.Get, seen.Method);
        Assert.Equal("https://rest.fal.ai/.well-known/jwks.json", seen.Uri.AbsoluteUri);
    }

    [Fact]
    public async Task GetKeys_KeepsOnlyEd25519OkpKeys_AndSkipsBrokenOnes()
    {
        var jwks = new JwksServer($$"""
            {"keys":[
              {"kty":"RSA","n":"abc","e":"AQAB"},
              {"kty":"OKP","crv":"X25519","x":"{{WebhookSigner.Base64Url(new byte[32])}}"},
              {"kty":"OKP","crv":"Ed25519","x":"!!not base64!!"},
              {"kty":"OKP","crv":"Ed25519","x":"{{WebhookSigner.Base64Url(new byte[16])}}"},
              {"kty":"OKP","crv":"Ed25519"},
              {{_a.Jwk}},
              {{_b.Jwk}}
            ]}
            """);
        using var source = jwks.Source(_time);

        var keys = await source.GetKeysAsync(CancellationToken.None);

        Assert.Equal(2, keys.Count);
        Assert.Equal(Raw(_a.PublicKey), Raw(keys[0]));
        Assert.Equal(Raw(_b.PublicKey), Raw(keys[1]));
    }

    [Fact]
    public async Task Refresh_IsRefused_WithinAMinuteOfTheLastFetch_AndAllowedAfter()
    {
        var jwks = new JwksServer(WebhookSigner.Jwks(_a));
        using var source = jwks.Source(_time);
        await source.GetKeysAsync(CancellationToken.None);

        _time.Advance(FalJwksKeySource.MinRefreshInterval - TimeSpan.FromSeconds(1));
        var refused = await source.RefreshAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        jwks.Jwks = WebhookSigner.Jwks(_a, _b);
        var refreshed = await source.RefreshAsync(CancellationToken.None);
        var refusedAgain = await source.RefreshAsync(CancellationToken.None);

        Assert.Null(refused);
        Assert.NotNull(refreshed);
        Assert.Equal(2, refreshed.Count);
        Assert.Null(refusedAgain);
        Assert.Equal(2, jwks.Fetches);
        Assert.Same(refreshed, await source.GetKeysAsync(CancellationToken.None));
    }

    [Fact]
    public async Task GetKeys_ReturnsNoKeys_WhenTheJwksCannotBeFetched()
    {
        var handler = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.ServiceUnavailable, """{"detail":"down"}"""));
        using var source = new FalJwksKeySource(TestFal.Http(handler), Microsoft.Extensions.Options.Options.Create(TestFal.Options("https://rest.fal.ai")), _time, NullLogger<FalJwksKeySource>.Instance);

        var keys = await source.GetKeysAsync(CancellationToken.None);

        Assert.Empty(keys);
        Assert.Equal(1, source.FetchCount);
    }

    [Fact]
    public async Task GetKeys_DoesNotRefetchMoreThanOncePerMinute_WhileTheJwksIsFailing()
    {
        var handler = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.ServiceUnavailable, """{"detail":"down"}"""));
        using var source = new FalJwksKeySource(TestFal.Http(handler), Microsoft.Extensions.Options.Options.Create(TestFal.Options("https://rest.fal.ai")), _time, NullLogger<FalJwksKeySource>.Instance);

        for (int i = 0; i < 100; i++)
        {
            try
            {
                await source.GetKeysAsync(CancellationToken.None);
            }
            catch (FalApiException)
            {
                // the JWKS is down: failing is fine, refetching on every call is not
            }
        }

        Assert.Equal(1, handler.Calls);
    }
}
