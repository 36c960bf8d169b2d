namespace VeoFunctions.Archive;

/// <summary>
/// Which URLs a result's video may be fetched from. A delivery's signature proves it came from fal, not that its
/// <c>video.url</c> is fal's: the URL is downloaded only from fal's media hosts (<c>Fal:MediaHosts</c>), and the
/// connection is vetted like an image download's (no private addresses, no unchecked redirects).
/// </summary>
public static class FalMediaHosts
{
    /// <summary>Whether <paramref name="url"/> is an absolute https (or, when allowed, http) URL on one of <paramref name="hosts"/>.</summary>
    public static bool Allows(Uri url, IEnumerable<string> hosts, bool allowHttp)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(hosts);
        if (!url.IsAbsoluteUri || !(url.Scheme == Uri.UriSchemeHttps || (allowHttp && url.Scheme == Uri.UriSchemeHttp)) || url.UserInfo.Length > 0)
        {
            return false;
        }

        string host = url.IdnHost.Trim('[', ']').TrimEnd('.');
        return hosts.Any(entry => Matches(host, entry.Trim()));
    }

    private static bool Matches(string host, string entry) => entry.StartsWith("*.", StringComparison.Ordinal)
        ? host.EndsWith(entry[1..], StringComparison.OrdinalIgnoreCase) && host.Length > entry.Length - 1
        : string.Equals(host, entry.Trim('[', ']'), StringComparison.OrdinalIgnoreCase);
}
