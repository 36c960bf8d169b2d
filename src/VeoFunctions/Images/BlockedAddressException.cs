using System.Net;

namespace VeoFunctions.Images;

/// <summary>
/// Raised inside the connect callback when a host resolves to a non-public address. An
/// <see cref="IOException"/> so <see cref="System.Net.Http.SocketsHttpHandler"/> wraps it like any
/// other connect failure; the downloader finds it in the inner-exception chain.
/// </summary>
internal sealed class BlockedAddressException(string host, IPAddress address)
    : IOException($"Host '{host}' resolved to non-public address {address}.")
{
    public string Host { get; } = host;

    public IPAddress Address { get; } = address;
}
