using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Wire;

namespace Lethe.Bench.PacketPath;

/// <summary>
/// A deterministic policy of Qubes firewall rules for the classification benchmarks, and first
/// packets of new flows that hit rules at every depth of it.
/// <para>
/// The measured client, "work" (10.137.0.10), has <c>ruleCount</c> rules: <c>specialtarget=dns</c>
/// first (as Qubes writes it), then rules each with its own dst4 network (mostly /24 and /32, some
/// /28 and /30, a few /16 that overlap each other), of these kinds: TCP accept with a port or port
/// range (55%), UDP accept with a port or range (20%), ICMP accept, echo only or any type (7%),
/// drop of a whole network (8%), TCP reject with ports (5%), accept of a whole network (5%); and
/// <c>action=drop</c> last. Two more clients with a handful of rules make the client-isolation
/// lookup real.
/// </para>
/// </summary>
internal static class QubesPolicy
{
    public const string ClientName = "work";
    public const string ClientAddress = "10.137.0.10";
    public const long NowUnix = 1_800_000_000;
    public static readonly string[] Resolvers = ["10.139.1.1", "10.139.1.2"];

    private static readonly (int Low, int High)[] TcpPorts =
        [(443, 443), (80, 80), (22, 22), (8080, 8080), (8000, 8999), (5000, 5100), (1024, 65535), (993, 993), (3389, 3389), (25, 25), (5432, 5432), (6000, 6063)];

    private static readonly (int Low, int High)[] UdpPorts =
        [(53, 53), (123, 123), (51820, 51820), (1194, 1194), (60000, 61000), (500, 500), (4500, 4500), (3478, 3481)];

    /// <summary>What one generated rule matches: enough to build a packet it decides.</summary>
    public readonly record struct Target(uint Network, int Prefix, byte Protocol, int PortLow, int PortHigh, int IcmpType);

    /// <param name="beforeFinalDrop">Extra rules put just before <c>action=drop</c> (not counted in <paramref name="ruleCount"/>).</param>
    public static SnapshotContent Content(int ruleCount, out Target[] targets, params string[] beforeFinalDrop)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ruleCount, 3);
        var rng = new Random(20_260_301 + ruleCount);
        var rules = new List<string>(ruleCount) { "action=accept specialtarget=dns" };
        var generated = new List<Target>(ruleCount);
        for (var i = 0; i < ruleCount - 2; i++)
        {
            rules.Add(Rule(i, rng, out var target));
            generated.Add(target);
        }
        rules.AddRange(beforeFinalDrop);
        rules.Add("action=drop");
        targets = [.. generated];

        return new SnapshotContent(SnapshotContent.CurrentFormat, "bench",
        [
            Client(ClientName, [ClientAddress, "fd09:24ef:4179::a89:a"], rules),
            Client("personal", ["10.137.0.11"], ["action=accept proto=tcp dstports=443-443", "action=accept specialtarget=dns", "action=drop"]),
            Client("sys-usb", ["10.137.0.12"], ["action=accept proto=icmp icmptype=8", "action=drop"]),
        ]);
    }

    private static SnapshotClient Client(string name, string[] addresses, IReadOnlyList<string> rules) =>
        new(name, addresses, rules.Select((rule, i) => new SnapshotRule($"{name}-{i}", rule)).ToArray());

    private static string Rule(int i, Random rng, out Target target)
    {
        var (network, prefix) = Network(i, rng);
        var dst = $"dst4={Dotted(network)}/{prefix}";
        var kind = rng.Next(100);
        switch (kind)
        {
            case < 55:
            {
                var (low, high) = TcpPorts[rng.Next(TcpPorts.Length)];
                target = new Target(network, prefix, IpProtocol.Tcp, low, high, -1);
                return $"action=accept {dst} proto=tcp dstports={low}-{high}";
            }
            case < 75:
            {
                var (low, high) = UdpPorts[rng.Next(UdpPorts.Length)];
                target = new Target(network, prefix, IpProtocol.Udp, low, high, -1);
                return $"action=accept {dst} proto=udp dstports={low}-{high}";
            }
            case < 82 when rng.Next(2) == 0:
                target = new Target(network, prefix, IpProtocol.Icmp, 0, 0, 8);
                return $"action=accept {dst} proto=icmp icmptype=8";
            case < 82:
                target = new Target(network, prefix, IpProtocol.Icmp, 0, 0, -1);
                return $"action=accept {dst} proto=icmp";
            case < 90:
                target = new Target(network, prefix, 0, 0, 0, -1);
                return $"action=drop {dst}";
            case < 95:
            {
                var (low, high) = TcpPorts[rng.Next(TcpPorts.Length)];
                target = new Target(network, prefix, IpProtocol.Tcp, low, high, -1);
                return $"action=reject {dst} proto=tcp dstports={low}-{high}";
            }
            default:
                target = new Target(network, prefix, 0, 0, 0, -1);
                return $"action=accept {dst}";
        }
    }

    /// <summary>Rule i's network: inside its own /24 of 100.64.0.0/10, except a few /16 of 172.16.0.0/12.</summary>
    private static (uint Network, int Prefix) Network(int i, Random rng)
    {
        var block = 0x6440_0000u + ((uint)i << 8); // 100.64.0.0 + i * 256
        return rng.Next(100) switch
        {
            < 45 => (block, 24),
            < 60 => (block | (uint)(rng.Next(16) << 4), 28),
            < 65 => (block | (uint)(rng.Next(64) << 2), 30),
            < 98 => (block | (uint)rng.Next(1, 255), 32),
            _ => (0xAC10_0000u + ((uint)rng.Next(16) << 16), 16), // 172.16-31.0.0/16
        };
    }

    /// <summary>
    /// First packets of new flows from the client: <paramref name="hits"/> aimed at generated rules
    /// spread evenly over the list (a packet is decided by its target or an earlier rule that also
    /// matches it), then <paramref name="misses"/> that only the final drop decides (TEST-NET-3
    /// destinations, or a rule's network with a port or protocol no rule there allows), shuffled.
    /// </summary>
    public static PacketInfo[] Packets(Target[] targets, int hits, int misses)
    {
        var rng = new Random(7_919 + targets.Length);
        var client = NetAddress.Parse(ClientAddress);
        var packets = new List<PacketInfo>(hits + misses);
        for (var k = 0; k < hits; k++)
        {
            var t = targets[(int)((long)k * targets.Length / hits)];
            var host = t.Network + (t.Prefix == 32 ? 0u : (uint)rng.NextInt64(1L << (32 - t.Prefix)));
            var protocol = t.Protocol != 0 ? t.Protocol : rng.Next(3) switch { 0 => IpProtocol.Tcp, 1 => IpProtocol.Udp, _ => IpProtocol.Icmp };
            var port = t.Protocol != 0 ? rng.Next(t.PortLow, t.PortHigh + 1) : 443;
            var icmpType = t.IcmpType >= 0 ? t.IcmpType : 8;
            packets.Add(Packet(client, host, protocol, (ushort)port, (byte)icmpType));
        }
        for (var k = 0; k < misses; k++)
        {
            if (k % 2 == 0)
            {
                var host = 0xCB00_7100u + (uint)rng.Next(1, 255); // 203.0.113.x
                var protocol = (k / 2 % 3) switch { 0 => IpProtocol.Tcp, 1 => IpProtocol.Udp, _ => IpProtocol.Icmp };
                packets.Add(Packet(client, host, protocol, (ushort)rng.Next(1, 65536), 8));
            }
            else
            {
                // Right network, wrong service: discard port 9 over TCP, or GRE (47).
                var t = targets[rng.Next(targets.Length)];
                packets.Add(k % 4 == 1
                    ? Packet(client, t.Network, IpProtocol.Tcp, 9, 0)
                    : Packet(client, t.Network, 47, 0, 0));
            }
        }
        var array = packets.ToArray();
        rng.Shuffle(array);
        return array;
    }

    private static PacketInfo Packet(NetAddress source, uint destination, byte protocol, ushort port, byte icmpType) => new()
    {
        Version = 4,
        Source = source,
        Destination = NetAddress.V4(destination),
        Protocol = protocol,
        HopLimit = 64,
        TotalLength = 60,
        TransportOffset = 20,
        SourcePort = protocol is IpProtocol.Tcp or IpProtocol.Udp ? (ushort)40_000 : (ushort)0,
        DestinationPort = protocol is IpProtocol.Tcp or IpProtocol.Udp ? port : (ushort)0,
        TcpFlags = protocol == IpProtocol.Tcp ? (byte)TcpFlags.Syn : (byte)0,
        IcmpType = protocol == IpProtocol.Icmp ? icmpType : (byte)0,
    };

    private static string Dotted(uint address) => $"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}";
}
