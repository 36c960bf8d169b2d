using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Fal.Webhooks;

/// <summary>The outcome of checking a webhook's signature.</summary>
public sealed record FalWebhookVerification(bool IsValid, string? RequestId, string? Failure)
{
    public static FalWebhookVerification Valid(string requestId) => new(true, requestId, null);

    public static FalWebhookVerification Invalid(string failure) => new(false, null, failure);
}

/// <summary>
/// Verifies fal's webhook signature on the raw body, before anything parses it: Ed25519 over
/// <c>request_id \n user_id \n timestamp \n hex(sha256(body))</c>, with any key of fal's JWKS, and a
/// timestamp within ±5 minutes so a captured delivery cannot be replayed later.
/// </summary>
public sealed class FalWebhookVerifier(IFalWebhookKeySource keys, TimeProvider time)
{
    public const string RequestIdHeader = "X-Fal-Webhook-Request-Id";
    public const string UserIdHeader = "X-Fal-Webhook-User-Id";
    public const string TimestampHeader = "X-Fal-Webhook-Timestamp";
    public const string SignatureHeader = "X-Fal-Webhook-Signature";

    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(300);

    /// <summary>Checks one delivery. <paramref name="header"/> reads a request header by name (or null).</summary>
    public async Task<FalWebhookVerification> VerifyAsync(Func<string, string?> header, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(header);
        string? requestId = header(RequestIdHeader), userId = header(UserIdHeader), timestamp = header(TimestampHeader), signatureHex = header(SignatureHeader);
        if (string.IsNullOrEmpty(requestId) || string.IsNullOrEmpty(userId) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatureHex))
        {
            return FalWebhookVerification.Invalid("The webhook lacks fal's signature headers.");
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            || (time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > Tolerance)
        {
            return FalWebhookVerification.Invalid("The webhook's timestamp is missing or more than 300 seconds from now.");
        }

        byte[] signature;
        try
        {
            signature = Convert.FromHexString(signatureHex);
        }
        catch (FormatException)
        {
            return FalWebhookVerification.Invalid("The webhook's signature is not hexadecimal.");
        }

        if (signature.Length != SignatureAlgorithm.Ed25519.SignatureSize)
        {
            return FalWebhookVerification.Invalid("The webhook's signature has the wrong length.");
        }

        byte[] message = SignedMessage(requestId, userId, timestamp, body.Span);
        if (AnyVerifies(await keys.GetKeysAsync(cancellationToken).ConfigureAwait(false), message, signature))
        {
            return FalWebhookVerification.Valid(requestId);
        }

        // fal may have rotated its key; the source limits how often this refetches.
        var refreshed = await keys.RefreshAsync(cancellationToken).ConfigureAwait(false);
        return refreshed is not null && AnyVerifies(refreshed, message, signature)
            ? FalWebhookVerification.Valid(requestId)
            : FalWebhookVerification.Invalid("The webhook's signature does not verify with fal's keys.");
    }

    /// <summary>The exact bytes fal signs. Public so an emulator or a test can sign the same way.</summary>
    public static byte[] SignedMessage(string requestId, string userId, string timestamp, ReadOnlySpan<byte> body)
    {
        string bodyHash = Convert.ToHexStringLower(SHA256.HashData(body));
        return Encoding.UTF8.GetBytes($"{requestId}\n{userId}\n{timestamp}\n{bodyHash}");
    }

    private static bool AnyVerifies(IReadOnlyList<PublicKey> candidates, byte[] message, byte[] signature) =>
        candidates.Any(key => SignatureAlgorithm.Ed25519.Verify(key, message, signature));
}
