using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace VeoFunctions.Testing;

/// <summary>
/// A Standard Webhooks verifier written from the specification alone (symmetric "v1" signatures), so callbacks are
/// checked by something that shares no code with the sender: the secret is <c>whsec_</c> + base64 key; the signed
/// content is <c>{webhook-id}.{webhook-timestamp}.{raw body}</c>; <c>webhook-signature</c> is a space-separated list
/// of <c>v1,{base64 HMAC-SHA256}</c>; a timestamp more than five minutes off is refused.
/// </summary>
internal static class StandardWebhooksSpec
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    /// <summary>Why the callback does not verify, or null when it does.</summary>
    public static string? Problem(string secret, string? id, string? timestamp, string? signature, byte[] body, DateTimeOffset now)
    {
        if (!secret.StartsWith("whsec_", StringComparison.Ordinal))
        {
            return "the secret has no whsec_ prefix";
        }

        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
        {
            return "a webhook-id, webhook-timestamp or webhook-signature header is missing";
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
        {
            return "webhook-timestamp is not whole seconds since the epoch";
        }

        if ((DateTimeOffset.FromUnixTimeSeconds(seconds) - now).Duration() > Tolerance)
        {
            return "webhook-timestamp is outside the tolerance";
        }

        byte[] key = Convert.FromBase64String(secret["whsec_".Length..]);
        byte[] signed = [.. Encoding.UTF8.GetBytes($"{id}.{timestamp}."), .. body];
        byte[] expected = HMACSHA256.HashData(key, signed);
        foreach (string candidate in signature.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = candidate.Split(',', 2);
            if (parts.Length == 2 && parts[0] == "v1" && TryBase64(parts[1], out byte[] given)
                && CryptographicOperations.FixedTimeEquals(given, expected))
            {
                return null;
            }
        }

        return "no v1 signature matches";
    }

    private static bool TryBase64(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length];
        if (Convert.TryFromBase64String(text, bytes, out int written))
        {
            bytes = bytes[..written];
            return true;
        }

        return false;
    }
}
