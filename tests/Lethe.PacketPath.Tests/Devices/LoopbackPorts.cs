namespace Lethe.PacketPath.Tests.Devices;

/// <summary>
/// Loopback ports a test picks now and uses later. Taken below the ephemeral range: a port freed
/// from that range can be handed meanwhile to a socket another test binds to port 0.
/// </summary>
public static class LoopbackPorts
{
    /// <param name="isFree">Tries the port (binds and releases it), answering whether it was free.</param>
    public static int BelowEphemeralRange(Func<int, bool> isFree)
    {
        var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var ephemeralFrom = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        while (true)
        {
            var port = Random.Shared.Next(Math.Min(10_000, ephemeralFrom / 2), ephemeralFrom);
            if (isFree(port))
            {
                return port;
            }
        }
    }
}
