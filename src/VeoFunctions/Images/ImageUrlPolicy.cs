using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace VeoFunctions.Images;

/// <summary>
/// Static checks on a user-supplied image URL before any network traffic: absolute, https (http only
/// when <see cref="ImageOptions.AllowHttp"/>), no embedded credentials, a real host, no literal IP
/// in a private or reserved range, and no host name that can never be public (see
/// <see cref="NeverPublicSuffixes"/>, and names without a dot), unless allow-listed. Host names are judged
/// again at connect time by <see cref="SafeImageDownloader"/>, on the address actually used, which is what
/// defeats DNS rebinding; these checks exist to fail fast with a clear sentence, before a job starts.
/// </summary>
public static class ImageUrlPolicy
{
    /// <summary>Longest accepted URL; generous enough for SAS tokens.</summary>
    public const int MaxUrlLength = 4096;

    /// <summary>
    /// Names no public server can have: <c>localhost</c> (RFC 6761), <c>.local</c> (RFC 6762, multicast DNS),
    /// <c>.home.arpa</c> (RFC 8375), <c>.internal</c> (reserved by ICANN in 2024 for private use; GCP's
    /// <c>metadata.google.internal</c>, AWS's <c>ec2.internal</c>), and <c>.corp</c>, <c>.home</c>, <c>.mail</c>,
    /// which ICANN resolved in 2018 never to delegate. Not <c>.lan</c>, <c>.intranet</c> or <c>.private</c>:
    /// common on private networks (RFC 6762, appendix G) but reserved by no one, so they could yet be public; if
    /// they resolve to a private address the connect-time check refuses them. Cloud metadata names without a dot
    /// (<c>metadata</c>, AWS's <c>instance-data</c>) fall under the rule for single-label names.
    /// </summary>
    public static readonly IReadOnlyList<string> NeverPublicSuffixes =
        ["localhost", "local", "home.arpa", "internal", "corp", "home", "mail"];

    private const string ImageSubject = "image URL";

    /// <summary>Parses and checks a URL string as given by the user.</summary>
    /// <param name="value">The URL text.</param>
    /// <param name="options">Scheme and allow-list settings.</param>
    /// <param name="uri">The parsed URL when accepted.</param>
    /// <param name="reason">One user-facing sentence when refused.</param>
    /// <returns><see langword="true"/> when the URL may be fetched.</returns>
    public static bool TryValidate(
        string? value,
        ImageOptions options,
        [NotNullWhen(true)] out Uri? uri,
        [NotNullWhen(false)] out string? reason) => TryValidate(value, options, ImageSubject, out uri, out reason);

    /// <summary>Checks an already parsed URL.</summary>
    /// <param name="uri">The URL.</param>
    /// <param name="options">Scheme and allow-list settings.</param>
    /// <param name="reason">One user-facing sentence when refused.</param>
    /// <returns><see langword="true"/> when the URL may be fetched.</returns>
    public static bool TryValidate(Uri uri, ImageOptions options, [NotNullWhen(false)] out string? reason) =>
        TryValidate(uri, options, ImageSubject, out reason);

    /// <summary>
    /// The same checks for any URL the app is asked to reach on a user's behalf (callbacks too), with
    /// <paramref name="subject"/> (for example "image URL") naming it in the reason.
    /// </summary>
    internal static bool TryValidate(
        string? value,
        ImageOptions options,
        string subject,
        [NotNullWhen(true)] out Uri? uri,
        [NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(options);
        uri = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            reason = $"No {subject} was given.";
            return false;
        }

        if (value.Length > MaxUrlLength)
        {
            reason = $"The {subject} is too long; at most {MaxUrlLength} characters are accepted.";
            return false;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var parsed) || value.Any(char.IsWhiteSpace))
        {
            reason = $"The {subject} is not a valid absolute URL.";
            return false;
        }

        if (!TryValidate(parsed, options, subject, out reason))
        {
            return false;
        }

        uri = parsed;
        return true;
    }

    /// <summary>The checks on an already parsed URL, with <paramref name="subject"/> naming it in the reason.</summary>
    internal static bool TryValidate(Uri uri, ImageOptions options, string subject, [NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(options);
        string? problem = FindProblem(uri, options);
        reason = problem is null ? null : $"The {subject} {problem}.";
        return problem is null;
    }

    /// <summary>
    /// Checks a redirect target. The same rules apply as for the original URL, and a redirect may never
    /// downgrade from https to http, even when http is otherwise allowed.
    /// </summary>
    /// <param name="current">The URL that answered with a redirect.</param>
    /// <param name="location">The <c>Location</c> header, possibly relative.</param>
    /// <param name="options">Scheme and allow-list settings.</param>
    /// <param name="next">The absolute target when accepted.</param>
    /// <param name="reason">One user-facing sentence when refused.</param>
    /// <returns><see langword="true"/> when the redirect may be followed.</returns>
    public static bool TryValidateRedirect(
        Uri current,
        Uri? location,
        ImageOptions options,
        [NotNullWhen(true)] out Uri? next,
        [NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(options);
        next = null;
        if (location is null)
        {
            reason = "The image URL redirected without saying where to.";
            return false;
        }

        Uri target;
        if (location.IsAbsoluteUri)
        {
            target = location;
        }
        else if (!Uri.TryCreate(current, location, out target!))
        {
            reason = "The image URL redirected to an invalid URL.";
            return false;
        }

        if (target.OriginalString.Length > MaxUrlLength)
        {
            reason = "The image URL redirected to a URL that is too long.";
            return false;
        }

        if (current.Scheme == Uri.UriSchemeHttps && target.Scheme == Uri.UriSchemeHttp)
        {
            reason = "The image URL redirected from https to insecure http, which is not allowed.";
            return false;
        }

        string? problem = FindProblem(target, options);
        if (problem is not null)
        {
            reason = $"The image URL redirected to a URL that {problem}.";
            return false;
        }

        next = target;
        reason = null;
        return true;
    }

    private static string? FindProblem(Uri uri, ImageOptions options)
    {
        if (!uri.IsAbsoluteUri)
        {
            return "is not absolute";
        }

        bool https = uri.Scheme == Uri.UriSchemeHttps;
        bool http = uri.Scheme == Uri.UriSchemeHttp;
        if (!https && !(http && options.AllowHttp))
        {
            return options.AllowHttp ? "must start with https:// or http://" : "must start with https://";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "must not contain a user name or password";
        }

        if (string.IsNullOrEmpty(uri.Host) || uri.HostNameType is UriHostNameType.Unknown or UriHostNameType.Basic)
        {
            return "has no valid host name";
        }

        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
            && IPAddress.TryParse(uri.Host.Trim('[', ']'), out var literal)
            && !IpAddressPolicy.IsPermitted(literal, uri.Host, options.AllowedPrivateHosts))
        {
            return "points to a private or reserved network address, which is not allowed";
        }

        if (uri.HostNameType is UriHostNameType.Dns && !IpAddressPolicy.IsAllowListed(uri.Host, options.AllowedPrivateHosts))
        {
            // IdnHost: the ASCII form DNS would be asked, so a full-width or mixed-case spelling is judged as the name it is.
            string name = uri.IdnHost.TrimEnd('.');
            if (NeverPublicSuffixes.Any(suffix => name.Equals(suffix, StringComparison.OrdinalIgnoreCase) || name.EndsWith("." + suffix, StringComparison.OrdinalIgnoreCase)))
            {
                return $"names the host \"{name}\", a local or private name that is never on the public internet, which is not allowed";
            }

            if (!name.Contains('.', StringComparison.Ordinal))
            {
                return $"names the host \"{name}\", a name without a domain that only a local network can resolve, which is not allowed";
            }
        }

        return null;
    }
}
