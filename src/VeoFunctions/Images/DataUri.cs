using System.Diagnostics.CodeAnalysis;

namespace VeoFunctions.Images;

/// <summary>
/// Strict parser for <c>data:</c> URIs (RFC 2397) carrying base64 image bytes. Strict because the input
/// is hostile: no percent-encoding, no whitespace, no URL-safe alphabet, and the decoded size is worked
/// out from the string length <em>before</em> decoding, so a 100 MB data URI is refused in O(1).
/// </summary>
public static class DataUri
{
    /// <summary>Longest accepted header (<c>data:image/png;base64</c> plus parameters).</summary>
    public const int MaxHeaderLength = 256;

    /// <summary>Whether <paramref name="value"/> starts with the <c>data:</c> scheme (case-insensitive).</summary>
    /// <param name="value">A user-supplied image reference.</param>
    /// <returns><see langword="true"/> for a data: URI.</returns>
    public static bool IsDataUri([NotNullWhen(true)] string? value) =>
        value is not null && value.StartsWith("data:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses a base64 <c>data:</c> URI.</summary>
    /// <param name="value">The data: URI.</param>
    /// <param name="maxDecodedBytes">Largest accepted decoded payload; checked before decoding.</param>
    /// <param name="mediaType">
    /// The declared media type, lower-cased and without parameters (<c>text/plain</c> when omitted, as the
    /// RFC says). Only a claim: compare it with the inspected format, never trust it.
    /// </param>
    /// <param name="bytes">The decoded payload.</param>
    /// <param name="error">One user-facing sentence when parsing fails.</param>
    /// <returns><see langword="true"/> when the URI was parsed.</returns>
    public static bool TryParse(
        string? value,
        long maxDecodedBytes,
        [NotNullWhen(true)] out string? mediaType,
        [NotNullWhen(true)] out byte[]? bytes,
        [NotNullWhen(false)] out string? error)
    {
        mediaType = null;
        bytes = null;
        if (!IsDataUri(value))
        {
            error = "The image is not a data: URI.";
            return false;
        }

        // The header is short; never scan megabytes of payload looking for the comma.
        int comma = value.IndexOf(',', 5, Math.Min(value.Length - 5, MaxHeaderLength));
        if (comma < 0)
        {
            error = "The data: URI is malformed (no comma after a short header).";
            return false;
        }

        var header = value.AsSpan(5, comma - 5);
        int lastSemicolon = header.LastIndexOf(';');
        if (lastSemicolon < 0 || !header[(lastSemicolon + 1)..].Equals("base64", StringComparison.OrdinalIgnoreCase))
        {
            error = "The data: URI must be base64-encoded (data:image/png;base64,…).";
            return false;
        }

        var type = header[..lastSemicolon];
        int firstSemicolon = type.IndexOf(';');
        if (firstSemicolon >= 0)
        {
            type = type[..firstSemicolon]; // Drop parameters such as charset.
        }

        if (type.IsEmpty)
        {
            mediaType = "text/plain";
        }
        else if (IsMediaType(type))
        {
            mediaType = type.ToString().ToLowerInvariant();
        }
        else
        {
            error = "The data: URI declares an invalid media type.";
            mediaType = null;
            return false;
        }

        var payload = value.AsSpan(comma + 1);
        if (payload.IsEmpty)
        {
            error = "The data: URI contains no data.";
            mediaType = null;
            return false;
        }

        // Size check first, from the length alone: 4 characters encode 3 bytes.
        long upperBound = payload.Length / 4L * 3;
        if (upperBound - 2 > maxDecodedBytes)
        {
            error = $"The image in the data: URI is about {ImageInspector.FormatSize(upperBound)}; at most {ImageInspector.FormatSize(maxDecodedBytes)} are accepted.";
            mediaType = null;
            return false;
        }

        if (payload.Length % 4 != 0 || !IsStrictBase64(payload, out int padding))
        {
            error = "The data: URI is not valid base64.";
            mediaType = null;
            return false;
        }

        long decodedLength = upperBound - padding;
        if (decodedLength > maxDecodedBytes)
        {
            error = $"The image in the data: URI is {ImageInspector.FormatSize(decodedLength)}; at most {ImageInspector.FormatSize(maxDecodedBytes)} are accepted.";
            mediaType = null;
            return false;
        }

        var buffer = new byte[decodedLength];
        if (!Convert.TryFromBase64Chars(payload, buffer, out int written) || written != decodedLength)
        {
            error = "The data: URI is not valid base64.";
            mediaType = null;
            return false;
        }

        bytes = buffer;
        error = null;
        return true;
    }

    private static bool IsStrictBase64(ReadOnlySpan<char> payload, out int padding)
    {
        padding = 0;
        if (payload[^1] == '=')
        {
            padding = payload[^2] == '=' ? 2 : 1;
        }

        var body = payload[..^padding];
        foreach (char c in body)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '+' || c == '/'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsMediaType(ReadOnlySpan<char> type)
    {
        int slash = type.IndexOf('/');
        if (slash <= 0 || slash == type.Length - 1 || type[(slash + 1)..].Contains('/'))
        {
            return false;
        }

        foreach (char c in type)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '/' or '+' or '-' or '.' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
