using System.ComponentModel.DataAnnotations;

namespace VeoFunctions.Callbacks;

/// <summary>
/// How job callbacks are signed and sent. Bound from the <c>Callbacks</c> section. The secret is optional so that an
/// app nobody asks for callbacks needs none; when it is set, a malformed one stops the app at start-up rather than
/// the first callback hours later.
/// </summary>
public sealed class CallbackOptions : IValidatableObject
{
    public const string SectionName = "Callbacks";

    /// <summary>The prefix Standard Webhooks gives a symmetric secret.</summary>
    public const string SecretPrefix = "whsec_";

    /// <summary>The key sizes Standard Webhooks allows for HMAC secrets (24 to 64 random bytes).</summary>
    public const int MinSecretBytes = 24, MaxSecretBytes = 64;

    /// <summary>
    /// The Standard Webhooks secret receivers verify callbacks with: <c>whsec_</c> and the base64 of 24 to 64 random
    /// bytes. Empty: callbacks cannot be sent (a job asking for one is refused at the door). Never logged.
    /// </summary>
    public string? SigningSecret { get; set; }

    /// <summary>Longest one delivery attempt may take, connect to last byte; a slower receiver is tried again later.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:02:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether a signing secret is configured, so callbacks can be sent at all.</summary>
    public bool CanSign => !string.IsNullOrWhiteSpace(SigningSecret);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (CanSign && !TryDecodeSecret(SigningSecret, out _))
        {
            // Never echo the value: it is a secret, and a near miss is still most of one.
            yield return new ValidationResult(
                $"{nameof(SigningSecret)} must be a Standard Webhooks secret: \"{SecretPrefix}\" followed by the base64 of {MinSecretBytes} to {MaxSecretBytes} random bytes.",
                [nameof(SigningSecret)]);
        }
    }

    /// <summary>The HMAC key inside a <c>whsec_</c> secret, when the secret is well formed.</summary>
    public static bool TryDecodeSecret(string? secret, out byte[] key)
    {
        key = [];
        if (secret is null || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var base64 = secret.AsSpan(SecretPrefix.Length);
        var buffer = new byte[((base64.Length + 3) / 4) * 3];
        if (!Convert.TryFromBase64Chars(base64, buffer, out int written) || written is < MinSecretBytes or > MaxSecretBytes)
        {
            return false;
        }

        key = buffer[..written];
        return true;
    }
}
