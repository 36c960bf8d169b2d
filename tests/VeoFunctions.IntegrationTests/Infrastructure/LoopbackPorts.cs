using System.Net;
using System.Net.Sockets;

namespace VeoFunctions.IntegrationTests.Infrastructure;

/// <summary>Ports for the servers the tests start.</summary>
public static class LoopbackPorts
{
    /// <summary>
    /// A free loopback port for a server started later (Azurite, the sidecar, Kestrel). Chosen below Linux's
    /// ephemeral range (32768+), where the port-0 binds of tests running in parallel land: a port picked from
    /// that range could be taken by one of them between the choosing and the binding.
    /// </summary>
    public static int Free()
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = Random.Shared.Next(20000, 32000);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException) when (attempt < 100)
            {
                // Taken: try another.
            }
        }
    }
}
