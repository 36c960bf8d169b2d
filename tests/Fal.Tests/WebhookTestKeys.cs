using System.Globalization;
using System.Net;
using Fal.Webhooks;
using Microsoft.Extensions.Logging.Abstractions;
using NSec.Cryptography;

namespace Fal.Tests;

/// <summary>An Ed25519 key pair that signs webhooks the way fal does.</summary>
internal sealed class WebhookSigner : IDisposable
{
    private readonly Key _key = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });

    public PublicKey PublicKey => _key.PublicKey;

    /// <summary>The JWKS entry: base64url of the raw 32-byte public key, no padding.</summary>
    public string Jwk => $$"""{"kty":"OKP","crv":"Ed25519","x":"{{Base64Url(_key.PublicKey.Export(KeyBlobFormat.RawPublicKey))}}","kid":"k","use":"sig"}""";

    public static string Jwks(params WebhookSigner[] signers) => $$"""{"keys":[{{string.Join(",", signers.Select(s => s.Jwk))}}]}""";

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public string SignHex(string requestId, string userId, string timestamp, byte[] body) =>
        Convert.ToHexStringLower(SignatureAlgorithm.Ed25519.Sign(_key, FalWebhookVerifier.SignedMessage(requestId, userId, timestamp, body)));

    /// <summary>The four fal headers for a delivery signed now (per <paramref name="time"/>).</summary>
    public Dictionary<string, string> Headers(byte[] body, TimeProvider time, string requestId = "req-1", string userId = "user-1", TimeSpan offset = default)
    {
        string timestamp = (time.GetUtcNow() + offset).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            [FalWebhookVerifier.RequestIdHeader] = requestId,
            [FalWebhookVerifier.UserIdHeader] = userId,
            [FalWebhookVerifier.TimestampHeader] = timestamp,
            [FalWebhookVerifier.SignatureHeader] = SignHex(requestId, userId, timestamp, body),
        };
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>Serves a JWKS that a test can swap, counting fetches.</summary>
internal sealed class JwksServer
{
    public JwksServer(string jwks)
    {
        Jwks = jwks;
        Handler = new StubHandler((_, _) => StubHandler.Json(HttpStatusCode.OK, Jwks));
    }

    public string Jwks { get; set; }

    public StubHandler Handler { get; }

    public int Fetches => Handler.Calls;

    public FalJwksKeySource Source(TimeProvider time) => new(
        TestFal.Http(Handler),
        Microsoft.Extensions.Options.Options.Create(TestFal.Options("https://rest.fal.ai")),
        time,
        NullLogger<FalJwksKeySource>.Instance);
}

internal static class HeaderExtensions
{
    public static Func<string, string?> Reader(this IReadOnlyDictionary<string, string> headers) =>
        name => headers.TryGetValue(name, out var v) ? v : null;
}
