using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NSec.Cryptography;

namespace Fal.Webhooks;

/// <summary>Supplies the public keys that may have signed a webhook.</summary>
public interface IFalWebhookKeySource
{
    /// <summary>The cached keys, fetched if the cache is empty or older than a day.</summary>
    ValueTask<IReadOnlyList<PublicKey>> GetKeysAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Refetches after a failed verification (fal may have rotated its key), at most once a minute so a flood
    /// of forged signatures cannot make us hammer fal. Returns the new keys, or null when not refetched.
    /// </summary>
    ValueTask<IReadOnlyList<PublicKey>?> RefreshAsync(CancellationToken cancellationToken);
}

/// <summary>fal's JWKS (<c>{"keys":[{"kty":"OKP","crv":"Ed25519","x":…}]}</c>), cached.</summary>
public sealed partial class FalJwksKeySource(HttpClient http, IOptions<FalOptions> options, TimeProvider time, ILogger<FalJwksKeySource> logger)
    : IFalWebhookKeySource, IDisposable
{
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromDays(1);
    public static readonly TimeSpan MinRefreshInterval = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyList<PublicKey>? _keys;
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;

    /// <summary>How many times the key set was actually fetched (for tests and diagnostics).</summary>
    public int FetchCount { get; private set; }

    public async ValueTask<IReadOnlyList<PublicKey>> GetKeysAsync(CancellationToken cancellationToken)
    {
        if (_keys is { } keys && time.GetUtcNow() - _fetchedAt < CacheLifetime)
        {
            return keys;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_keys is null || time.GetUtcNow() - _fetchedAt >= CacheLifetime)
            {
                await TryFetchAsync(cancellationToken).ConfigureAwait(false);
            }

            return _keys ?? [];
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask<IReadOnlyList<PublicKey>?> RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await TryFetchAsync(cancellationToken).ConfigureAwait(false) ? _keys : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    // Every fetch, first or not, is limited to one a minute, and a failed one keeps the keys we had: a flood
    // of webhooks while fal's key set is unreachable must not turn into a flood of requests to fal.
    private async Task<bool> TryFetchAsync(CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() - _lastAttempt < MinRefreshInterval)
        {
            return false;
        }

        try
        {
            await FetchAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is FalApiException or HttpRequestException or IOException or System.Text.Json.JsonException
            || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Log.FetchFailed(logger, ex);
            return false;
        }
    }

    private async Task FetchAsync(CancellationToken cancellationToken)
    {
        _lastAttempt = time.GetUtcNow();
        FetchCount++;
        using var response = await FalHttp.SendAsync(http, new HttpRequestMessage(HttpMethod.Get, options.Value.JwksUrl), cancellationToken).ConfigureAwait(false);
        var set = await FalHttp.ReadJsonAsync(response, FalWireJsonContext.Default.JsonWebKeySet, cancellationToken).ConfigureAwait(false);
        var keys = new List<PublicKey>();
        foreach (var jwk in set.Keys ?? [])
        {
            if (jwk.Kty == "OKP" && jwk.Crv == "Ed25519" && TryDecodeBase64Url(jwk.X, out var raw)
                && PublicKey.TryImport(SignatureAlgorithm.Ed25519, raw, KeyBlobFormat.RawPublicKey, out var key) && key is not null)
            {
                keys.Add(key);
            }
        }

        _keys = keys;
        _fetchedAt = time.GetUtcNow();
        Log.Fetched(logger, keys.Count);
    }

    private static bool TryDecodeBase64Url(string? value, out byte[] bytes)
    {
        bytes = [];
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        string b64 = value.Replace('-', '+').Replace('_', '/');
        b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
        try
        {
            bytes = Convert.FromBase64String(b64);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1201, LogLevel.Information, "Fetched fal's webhook key set: {Count} Ed25519 key(s)")]
        public static partial void Fetched(ILogger logger, int count);

        [LoggerMessage(1202, LogLevel.Warning, "Could not fetch fal's webhook key set; keeping the keys we had")]
        public static partial void FetchFailed(ILogger logger, Exception exception);
    }
}

internal sealed record JsonWebKeySet([property: JsonPropertyName("keys")] List<JsonWebKey>? Keys);

internal sealed record JsonWebKey(
    [property: JsonPropertyName("kty")] string? Kty,
    [property: JsonPropertyName("crv")] string? Crv,
    [property: JsonPropertyName("x")] string? X);
