using System.Net;
using Lethe.PacketPath.Tests;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests.Nft.FirstPacket;

/// <summary>
/// A random packet that opens a flow (a TCP SYN, now and then a bare ACK picked up midway; a UDP datagram;
/// an ICMP echo or other query, now and then an ICMP message that opens nothing) from a client of a
/// <see cref="RandomPolicy"/>, to an address inside, at or just past the edge of a network its rules name,
/// another client, a resolver, a dsthost answer, the firewall's uplink address, its prefix's broadcast or
/// subnet-router anycast, or a remote, on ports at
/// and just past the edges of its rules' ranges; some with IPv4 options or IPv6 extension headers, a few
/// with a TTL about to run out. Each takes a source port (or echo identifier) no earlier one took, so it is
/// the first packet of its flow in the kernel's conntrack as well as in a fresh engine.
/// </summary>
internal sealed record RandomFirstPacket(
    int Client, string Destination, byte[] Bytes, string Text, byte Ttl, bool RecordsRoute, bool Authenticated)
{
    public static RandomFirstPacket Make(Random random, RandomPolicy policy, ushort sourcePort)
    {
        var clients = Enumerable.Range(0, policy.ClientAddresses.Count).ToArray();
        var client = clients[random.Next(clients.Length)];
        var own = policy.ClientAddresses[client];
        var source = own[random.Next(own.Count)];
        var v6 = source.Contains(':');
        var destination = PickDestination(random, policy, v6, own);
        var ttl = random.Next(40) switch
        {
            0 => (byte)1,
            1 => (byte)2,
            _ => (byte)64,
        };
        byte[]? options = null;
        byte[]? extensions = null;
        var notes = new List<string>();
        if (!v6 && random.Next(6) == 0)
        {
            options = Ipv4Options(random, notes);
        }
        if (v6 && random.Next(6) == 0)
        {
            extensions = Extensions(random, notes);
        }
        var payload = random.Next(3) == 0 ? random.Next(1, 200) : 0;
        byte[] bytes;
        string what;
        switch (random.Next(20))
        {
            case < 9:
            {
                var port = Port(random, policy);
                var ack = random.Next(10) == 0;
                bytes = Packets.Tcp(source, destination, sourcePort, port, ack ? TcpFlags.Ack : TcpFlags.Syn, ack ? payload : 0, ttl: ttl,
                    sequence: (uint)random.NextInt64(uint.MaxValue), acknowledgement: ack ? (uint)random.NextInt64(uint.MaxValue) : 0,
                    tcpOptions: ack ? null : [2, 4, 5, 180], ipv4Options: options, extensionHeaders: extensions);
                what = $"tcp {(ack ? "ack" : "syn")} {source}:{sourcePort} > {destination}:{port}";
                break;
            }
            case < 15:
            {
                var port = Port(random, policy);
                bytes = Packets.Udp(source, destination, sourcePort, port, payload, ttl: ttl, ipv4Options: options, extensionHeaders: extensions);
                what = $"udp {source}:{sourcePort} > {destination}:{port}";
                break;
            }
            default:
            {
                var type = IcmpType(random, policy, v6);
                var message = Packets.Icmp(source, destination, type, 0, new byte[Math.Max(payload, 8)], (uint)sourcePort << 16 | 1, ttl, extensionHeaders: extensions);
                // Packets.Icmp takes no IPv4 options; an ICMPv4 checksum covers no address, so the message moves as it is.
                bytes = options is null ? message : Packets.Ip(source, destination, IpProtocol.Icmp, message[((message[0] & 0x0F) * 4)..], ttl, ipv4Options: options);
                what = $"icmp{(v6 ? "v6" : "")} type {type} id {sourcePort} {source} > {destination}";
                break;
            }
        }
        if (ttl < 64)
        {
            notes.Add($"ttl {ttl}");
        }
        var text = what + (notes.Count > 0 ? " (" + string.Join(", ", notes) + ")" : "");
        return new RandomFirstPacket(client, destination, bytes, text, ttl, notes.Any(n => n is "record-route" or "timestamp"), notes.Contains("ah"));
    }

    private static string PickDestination(Random random, RandomPolicy policy, bool v6, List<string> own)
    {
        while (true)
        {
            var candidate = Candidate(random, policy, v6);
            if (candidate is not null && !own.Contains(candidate) && candidate != (v6 ? RandomPolicy.ClientSide6 : RandomPolicy.ClientSide4))
            {
                return candidate;
            }
        }
    }

    private static string? Candidate(Random random, RandomPolicy policy, bool v6)
    {
        var networks = policy.Networks.Where(n => n.IsIPv4 != v6).ToArray();
        switch (random.Next(20))
        {
            case < 8 when networks.Length > 0:
            {
                var network = networks[random.Next(networks.Length)];
                return random.Next(5) switch
                {
                    0 => RandomPolicy.Edge(network, 0, fromEnd: false).ToString(),
                    1 => RandomPolicy.Edge(network, 0, fromEnd: true).ToString(),
                    2 => RandomPolicy.Edge(network, -1, fromEnd: false).ToString(),
                    3 => RandomPolicy.Edge(network, 1, fromEnd: true).ToString(),
                    _ => network.Address.ToString(),
                };
            }
            case < 11:
            {
                var others = policy.ClientAddresses.SelectMany(a => a).Where(a => a.Contains(':') == v6).ToArray();
                return others.Length > 0 ? others[random.Next(others.Length)] : null;
            }
            case < 13:
            {
                var answers = policy.Resolvers.Concat(policy.Hosts.Values.SelectMany(a => a))
                    .Where(a => (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) == v6).ToArray();
                return answers.Length > 0 ? answers[random.Next(answers.Length)].ToString() : null;
            }
            case 13:
                // The firewall's address, or what the uplink's prefix makes its own beside it.
                return random.Next(2) == 0
                    ? v6 ? RandomPolicy.Uplink6 : RandomPolicy.Uplink4
                    : v6 ? RandomPolicy.UplinkAnycast6 : RandomPolicy.UplinkBroadcast4;
            default:
                return v6 ? policy.Remote6() : policy.Remote4();
        }
    }

    private static ushort Port(Random random, RandomPolicy policy)
    {
        if (policy.Ports.Count > 0 && random.Next(2) == 0)
        {
            var range = policy.Ports[random.Next(policy.Ports.Count)];
            var port = random.Next(4) switch
            {
                0 => range.Low - 1,
                1 => range.Low,
                2 => range.High,
                _ => range.High + 1,
            };
            return (ushort)Math.Clamp(port, 0, 65535);
        }
        return new ushort[] { 53, 22, 80, 443, 8080, (ushort)random.Next(1, 65536) }[random.Next(6)];
    }

    private static byte IcmpType(Random random, RandomPolicy policy, bool v6)
    {
        if (policy.IcmpTypes.Count > 0 && random.Next(3) == 0)
        {
            return (byte)policy.IcmpTypes[random.Next(policy.IcmpTypes.Count)];
        }
        return random.Next(10) switch
        {
            < 7 => v6 ? IcmpV6Message.EchoRequest : IcmpV4Message.EchoRequest,
            7 => v6 ? (byte)139 : (byte)13, // node information query, timestamp request
            8 => v6 ? IcmpV6Message.EchoReply : IcmpV4Message.EchoReply, // opens nothing
            _ => (byte)random.Next(256),
        };
    }

    private static byte[] Ipv4Options(Random random, List<string> notes)
    {
        var options = new List<byte>();
        for (var n = random.Next(1, 3); n > 0; n--)
        {
            switch (random.Next(6))
            {
                case 0:
                    options.Add(1);
                    notes.Add("nop");
                    break;
                case 1:
                    options.AddRange([148, 4, 0, 0]);
                    notes.Add("router-alert");
                    break;
                case 2 when !notes.Contains("record-route"):
                    options.AddRange([7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0]);
                    notes.Add("record-route");
                    break;
                case 3 when !notes.Contains("timestamp"):
                    options.AddRange([68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
                    notes.Add("timestamp");
                    break;
                case 4:
                    options.AddRange([30, 4, 0, 0]);
                    notes.Add("option 30");
                    break;
                default:
                    // Rarer forms: a source route (dropped by both), and options Linux refuses with a parameter problem.
                    var (bytes, name) = random.Next(12) switch
                    {
                        0 => (new byte[] { 131, 7, 4, 203, 0, 113, 9 }, "loose source route"),
                        1 => ([7, 7, 3, 0, 0, 0, 0], "record-route pointer 3"),
                        2 => ([7, 7, 4, 0, 0, 0, 0, 7, 7, 4, 0, 0, 0, 0], "record-route twice"),
                        3 => ([148, 2], "router-alert length 2"),
                        4 => ([148, 6, 0, 0, 0, 0], "router-alert length 6"),
                        5 => ([134, 6, 0, 0, 0, 1], "cipso"),
                        6 => ([134, 10, 0, 0, 0, 1, 1, 4, 0, 0], "cipso of an unknown domain"),
                        7 => ([7, 7, 5, 0, 0, 0, 0], "record-route pointer 5"),
                        8 => ([68, 8, 9, 0xF0, 0, 0, 0, 0], "timestamp full, overflow 15"),
                        9 => ([68, 8, 5, 1, 0, 0, 0, 0], "timestamp with addresses, no room"),
                        10 => ([131, 7, 4, 203, 0, 113, 9, 137, 7, 4, 203, 0, 113, 9], "two source routes"),
                        _ => ([1], "nop"),
                    };
                    options.AddRange(bytes);
                    notes.Add(name);
                    break;
            }
        }
        return [.. options];
    }

    private static byte[] Extensions(Random random, List<string> notes)
    {
        var chain = new List<byte>();
        (byte Type, string Name)[] order =
        [
            (IpProtocol.HopByHop, "hop-by-hop"), (IpProtocol.DestinationOptions, "destination options"), (IpProtocol.Routing, "routing"),
            (IpProtocol.Fragment, "atomic fragment"), (IpProtocol.Authentication, "ah"), (IpProtocol.DestinationOptions, "destination options"),
        ];
        while (chain.Count == 0)
        {
            foreach (var (type, name) in order)
            {
                if (random.Next(type == IpProtocol.Authentication ? 8 : 3) == 0)
                {
                    chain.Add(type);
                    notes.Add(name);
                }
            }
        }
        return [.. chain];
    }
}
