using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
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
/// timestamp within ±5 minutes so a captured delivery cannot be replayed later. fal signs every customer's webhooks
/// with one key set, so a valid signature proves "fal", not "our account": with <see cref="FalOptions.WebhookUserId"/>
/// set, a delivery signed for another fal user is refused too.
/// </summary>
public sealed class FalWebhookVerifier(IFalWebhookKeySource keys, TimeProvider time, IOptions<FalOptions>? options = null)
{
    public const string RequestIdHeader = "X-Fal-Webhook-Request-Id";
    public const string UserIdHeader = "X-Fal-Webhook-User-Id";
    public const string TimestampHeader = "X-Fal-Webhook-Timestamp";
    public const string SignatureHeader = "X-Fal-Webhook-Signature";

    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(300);

    /// <summary>Whether deliveries are held to one fal account (<see cref="FalOptions.WebhookUserId"/> is set).</summary>
    public bool PinsAccount => !string.IsNullOrEmpty(options?.Value.WebhookUserId);

    /// <summary>
    /// What can be checked before the body is read (and so before an anonymous caller can hold the door with a slow or
    /// large body): the four headers, the timestamp window and the account. Valid here is not valid: the signature is
    /// checked by <see cref="VerifyAsync"/>.
    /// </summary>
    public FalWebhookVerification CheckHeaders(Func<string, string?> header)
    {
        ArgumentNullException.ThrowIfNull(header);
        return ReadHeaders(header, out var signed) is { } failure ? FalWebhookVerification.Invalid(failure) : FalWebhookVerification.Valid(signed.RequestId);
    }

    /// <summary>Checks one delivery. <paramref name="header"/> reads a request header by name (or null).</summary>
    public async Task<FalWebhookVerification> VerifyAsync(Func<string, string?> header, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (ReadHeaders(header, out var signed) is { } failure)
        {
            return FalWebhookVerification.Invalid(failure);
        }

        (string requestId, string userId, string timestamp, byte[] signature) = signed;
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

    private string? ReadHeaders(Func<string, string?> header, out SignedHeaders signed)
    {
        signed = default;
        string? requestId = header(RequestIdHeader), userId = header(UserIdHeader), timestamp = header(TimestampHeader), signatureHex = header(SignatureHeader);
        if (string.IsNullOrEmpty(requestId) || string.IsNullOrEmpty(userId) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatureHex))
        {
            return "The webhook lacks fal's signature headers.";
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            || (time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > Tolerance)
        {
            return "The webhook's timestamp is missing or more than 300 seconds from now.";
        }

        if (PinsAccount && !string.Equals(options!.Value.WebhookUserId, userId, StringComparison.Ordinal))
        {
            return "The webhook was sent for another fal account (X-Fal-Webhook-User-Id is not Fal:WebhookUserId).";
        }

        byte[] signature;
        try
        {
            signature = Convert.FromHexString(signatureHex);
        }
        catch (FormatException)
        {
            return "The webhook's signature is not hexadecimal.";
        }

        if (signature.Length != SignatureAlgorithm.Ed25519.SignatureSize)
        {
            return "The webhook's signature has the wrong length.";
        }

        signed = new SignedHeaders(requestId, userId, timestamp, signature);
        return null;
    }

    private static bool AnyVerifies(IReadOnlyList<PublicKey> candidates, byte[] message, byte[] signature) =>
        candidates.Any(key => SignatureAlgorithm.Ed25519.Verify(key, message, signature));

    private readonly record struct SignedHeaders(string RequestId, string UserId, string Timestamp, byte[] Signature);
}
