using System.Net;
using System.Net.Sockets;

namespace VeoFunctions.Images;

/// <summary>
/// Decides whether an IP address is a public internet address we may fetch images from. Everything
/// else (loopback, private networks, link-local including the cloud metadata endpoint 169.254.169.254, Azure's
/// platform address 168.63.129.16 (public in form, but served by the host to every Azure VM), carrier-grade NAT, multicast, reserved and documentation ranges, and IPv6 forms that embed any of
/// these) is refused so a user-supplied URL cannot reach into our own network (SSRF).
/// </summary>
public static class IpAddressPolicy
{
    /// <summary>Whether <paramref name="address"/> is a globally routable unicast address.</summary>
    /// <param name="address">The address to classify.</param>
    /// <returns><see langword="true"/> when the address is public.</returns>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => IsPublicV4(address.GetAddressBytes()),
            AddressFamily.InterNetworkV6 => IsPublicV6(address.GetAddressBytes()),
            _ => false,
        };
    }

    /// <summary>
    /// Whether <paramref name="host"/> (a URL host name or literal) appears verbatim in the allow-list
    /// (case-insensitive), or is an IP literal equal to an allow-listed IP.
    /// </summary>
    /// <param name="host">The host as written in the URL, brackets allowed for IPv6.</param>
    /// <param name="allowList">Host names and IP addresses that bypass the policy.</param>
    /// <returns><see langword="true"/> when allow-listed.</returns>
    public static bool IsAllowListed(string? host, IEnumerable<string> allowList)
    {
        ArgumentNullException.ThrowIfNull(allowList);
        if (string.IsNullOrEmpty(host))
        {
            return false;
        }

        string bare = host.Trim('[', ']');
        foreach (string entry in allowList)
        {
            if (string.Equals(entry?.Trim('[', ']'), bare, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return IPAddress.TryParse(bare, out var literal) && IsAllowListed(literal, allowList);
    }

    /// <summary>Whether an allow-list entry is an IP literal equal to <paramref name="address"/>.</summary>
    /// <param name="address">The (resolved) address.</param>
    /// <param name="allowList">Host names and IP addresses that bypass the policy.</param>
    /// <returns><see langword="true"/> when allow-listed.</returns>
    public static bool IsAllowListed(IPAddress address, IEnumerable<string> allowList)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(allowList);
        var normalized = Normalize(address);
        foreach (string entry in allowList)
        {
            if (entry is not null && IPAddress.TryParse(entry.Trim('[', ']'), out var allowed) && Normalize(allowed).Equals(normalized))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a connection to <paramref name="address"/> for <paramref name="host"/> may proceed.</summary>
    /// <param name="address">The address about to be used.</param>
    /// <param name="host">The host name from the URL, if any.</param>
    /// <param name="allowList">Host names and IP addresses that bypass the policy.</param>
    /// <returns><see langword="true"/> when public or allow-listed.</returns>
    public static bool IsPermitted(IPAddress address, string? host, IEnumerable<string> allowList) =>
        IsPublic(address) || IsAllowListed(host, allowList) || IsAllowListed(address, allowList);

    private static IPAddress Normalize(IPAddress address)
    {
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return plain.AddressFamily == AddressFamily.InterNetworkV6 && plain.ScopeId != 0
            ? new IPAddress(plain.GetAddressBytes())
            : plain;
    }

    private static bool IsPublicV4(ReadOnlySpan<byte> b)
    {
        return b[0] switch
        {
            0 => false,                                       // 0.0.0.0/8 "this network"
            10 => false,                                      // 10/8 private
            100 when (b[1] & 0xC0) == 64 => false,            // 100.64/10 carrier-grade NAT
            127 => false,                                     // 127/8 loopback
            169 when b[1] == 254 => false,                    // 169.254/16 link-local, cloud metadata
            168 when b[1] == 63 && b[2] == 129 && b[3] == 16 => false, // Azure's platform address (DHCP, DNS, health probes, the VM agent's wireserver)
            172 when (b[1] & 0xF0) == 16 => false,            // 172.16/12 private
            192 when b[1] == 0 && b[2] == 0 => false,         // 192.0.0/24 IETF protocol assignments
            192 when b[1] == 0 && b[2] == 2 => false,         // 192.0.2/24 TEST-NET-1
            192 when b[1] == 88 && b[2] == 99 => false,       // 192.88.99/24 6to4 relay anycast
            192 when b[1] == 168 => false,                    // 192.168/16 private
            198 when (b[1] & 0xFE) == 18 => false,            // 198.18/15 benchmarking
            198 when b[1] == 51 && b[2] == 100 => false,      // 198.51.100/24 TEST-NET-2
            203 when b[1] == 0 && b[2] == 113 => false,       // 203.0.113/24 TEST-NET-3
            >= 224 => false,                                  // 224/4 multicast, 240/4 reserved, broadcast
            _ => true,
        };
    }

    private static bool IsPublicV6(ReadOnlySpan<byte> b)
    {
        // ::ffff:0:0/96 IPv4-mapped: judge the embedded IPv4 address.
        if (b[..10].IndexOfAnyExcept((byte)0) < 0 && b[10] == 0xFF && b[11] == 0xFF)
        {
            return IsPublicV4(b[12..]);
        }

        // 64:ff9b::/96 NAT64 well-known prefix: judge the embedded IPv4 address.
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..12].IndexOfAnyExcept((byte)0) < 0)
        {
            return IsPublicV4(b[12..]);
        }

        // 2002::/16 6to4: the IPv4 address sits in bytes 2-5.
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return IsPublicV4(b[2..6]);
        }

        // Only 2000::/3 is global unicast. This refuses ::/96 (unspecified, loopback, IPv4-compatible),
        // 64:ff9b:1::/48, 100::/64, fc00::/7, fe80::/10, fec0::/10 and ff00::/8 in one go.
        if ((b[0] & 0xE0) != 0x20)
        {
            return false;
        }

        // 2001::/23 IETF protocol assignments (Teredo 2001::/32 can embed anything, benchmarking, ORCHID).
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] <= 0x01)
        {
            return false;
        }

        // 2001:db8::/32 and 3fff::/20 documentation.
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8)
        {
            return false;
        }

        return !(b[0] == 0x3F && b[1] == 0xFF && (b[2] & 0xF0) == 0);
    }
}
