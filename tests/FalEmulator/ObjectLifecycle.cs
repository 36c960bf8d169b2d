using System.Text.Json;
using System.Text.Json.Nodes;

namespace FalEmulator;

/// <summary>
/// fal's object lifecycle header value, <c>{"expiration_duration_seconds":N,"initial_acl":{…}}</c> (both keys optional).
/// Sent as X-Fal-Object-Lifecycle on upload initiate (fal-js) and X-Fal-Object-Lifecycle-Preference (docs, queue submit).
/// </summary>
/// <param name="Json">The header value as sent.</param>
/// <param name="ExpirationSeconds">Seconds until the file expires; null = no expiry (the documented meaning of absent/null).</param>
internal sealed record ObjectLifecycle(string Json, long? ExpirationSeconds)
{
    public static readonly string[] HeaderNames = ["X-Fal-Object-Lifecycle", "X-Fal-Object-Lifecycle-Preference"];

    /// <summary>Reads either header (names are case-insensitive). False when present but not a valid lifecycle object.</summary>
    public static bool TryRead(IHeaderDictionary headers, out ObjectLifecycle? lifecycle)
    {
        lifecycle = null;
        var value = HeaderNames.Select(n => headers[n].ToString()).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        if (value is null)
        {
            return true;
        }

        try
        {
            if (JsonNode.Parse(value) is not JsonObject json)
            {
                return false;
            }

            long? seconds = null;
            if (json["expiration_duration_seconds"] is JsonValue v)
            {
                if (v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue<long>(out var n) || n < 0)
                {
                    return false;
                }

                seconds = n;
            }

            lifecycle = new ObjectLifecycle(value, seconds);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public DateTimeOffset? ExpiresAt(DateTimeOffset storedAt) => ExpirationSeconds is { } s ? storedAt + TimeSpan.FromSeconds(s) : null;
}
