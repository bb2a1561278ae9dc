using CsCheck;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>Garbage, truncated and corrupted packets are dropped with the parser's reason; nothing throws and nothing bad is forwarded.</summary>
public class MalformedPacketTests
{
    private static readonly int[] Ingresses = [Ingress.BySource, Ingress.Uplink, 0, 1, 2, 1000];

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(30)]
    [InlineData(39)]
    public void a_truncated_tcp_segment_is_dropped_as_truncated(int keep)
    {
        var lab = new EngineLab(["action=accept"]);
        var syn = Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn);

        var outcome = lab.Engine.Process(syn, keep, lab.Work, lab.Now, new byte[1500]);

        Assert.False(outcome.Forwarded);
        Assert.Equal(DropReason.Truncated, outcome.Reason);
        Assert.Equal(0, lab.Engine.Connections.Count);
    }

    [Theory]
    [InlineData((byte)131)] // loose source route
    [InlineData((byte)137)] // strict source route
    public void a_source_routed_packet_is_dropped_either_way_without_an_answer_as_linux_does(byte option)
    {
        var lab = new EngineLab(["action=accept"]);
        var natPort = lab.Through(Packets.Udp(Work4, Remote4, 5000, 53, payload: 20), lab.Work).Info.SourcePort;
        // NOP, then the route: type, length 7, pointer 4, one hop.
        byte[] route = [1, option, 7, 4, 203, 0, 113, 9];

        var fromClient = lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 53, payload: 20, ipv4Options: route));
        var fromUplink = lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 20, ipv4Options: route));
        var recorded = lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 53, payload: 20, ipv4Options: [7, 7, 4, 0, 0, 0, 0]));

        Assert.Equal((false, DropReason.SourceRouted), (fromClient.Forwarded, fromClient.Reason));
        Assert.Equal((false, DropReason.SourceRouted), (fromUplink.Forwarded, fromUplink.Reason));
        Assert.Empty(fromClient.Reply);
        // Other options (record route here) pass as before.
        Assert.True(recorded.Forwarded, recorded.Reason.ToString());
    }

    [Theory]
    [InlineData(new byte[] { 7, 7, 1, 0, 0, 0, 0, 0 })]                // record route pointing before its first slot
    [InlineData(new byte[] { 68, 8, 4, 0, 0, 0, 0, 0 })]               // timestamp pointing before its first slot
    [InlineData(new byte[] { 148, 2, 1, 0 })]                          // router alert of length 2
    [InlineData(new byte[] { 7, 7, 4, 0, 0, 0, 0, 7, 7, 4, 0, 0, 0, 0, 0, 0 })] // record route twice
    [InlineData(new byte[] { 134, 10, 0, 0, 0, 1, 1, 4, 0, 0, 0, 0 })] // CIPSO, which Linux refuses unless set up for it
    public void ipv4_options_linux_refuses_are_dropped_as_malformed(byte[] options)
    {
        var lab = new EngineLab(["action=accept"]);

        var sent = lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 53, payload: 20, ipv4Options: options));

        Assert.Equal((false, DropReason.BadHeaderLength), (sent.Forwarded, sent.Reason));
    }

    [Theory]
    [InlineData(new byte[] { 7, 7, 4, 0, 0, 0, 0, 0 })]   // record route, room for one address
    [InlineData(new byte[] { 68, 8, 5, 0, 0, 0, 0, 0 })]  // timestamp, room for one
    [InlineData(new byte[] { 148, 4, 0, 0 })]             // router alert
    [InlineData(new byte[] { 148, 6, 0, 0, 0, 0, 1, 1 })] // router alert 6 bytes long: Linux refuses only one under 4
    public void well_formed_ipv4_options_pass(byte[] options)
    {
        var lab = new EngineLab(["action=accept"]);

        var sent = lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 53, payload: 20, ipv4Options: options));

        Assert.True(sent.Forwarded, sent.Reason.ToString());
    }

    [Fact]
    public void broken_headers_are_dropped_with_what_is_wrong_with_them()
    {
        var lab = new EngineLab(["action=accept"]);
        var badVersion = Packets.Udp(Work4, Remote4, 5000, 53, payload: 8);
        badVersion[0] = 0x55;
        var shortHeader = Packets.Udp(Work4, Remote4, 5000, 53, payload: 8);
        shortHeader[0] = 0x44;
        var shortTotal = Packets.Udp(Work4, Remote4, 5000, 53, payload: 8);
        shortTotal[3] = 12;
        var badUdpLength = Packets.Udp(Work4, Remote4, 5000, 53, payload: 8);
        badUdpLength[25] = 200;

        Assert.Equal(DropReason.BadIpVersion, lab.FromWork(badVersion).Reason);
        Assert.Equal(DropReason.BadHeaderLength, lab.FromWork(shortHeader).Reason);
        Assert.Equal(DropReason.BadTotalLength, lab.FromWork(shortTotal).Reason);
        Assert.Equal(DropReason.BadTransportHeader, lab.FromWork(badUdpLength).Reason);
        Assert.Equal(0, lab.Engine.ForwardedPackets);
    }

    [Fact]
    public void trailing_bytes_after_the_ip_length_are_cut_from_what_leaves()
    {
        var lab = new EngineLab(["action=accept"]);
        var padded = new byte[200];
        var datagram = Packets.Udp(Work4, Remote4, 5000, 53, payload: 8);
        datagram.CopyTo(padded, 0);

        var outcome = lab.Engine.Process(padded, padded.Length, lab.Work, lab.Now, new byte[1500]);

        Assert.True(outcome.Forwarded);
        Assert.Equal(datagram.Length, outcome.Length);
    }

    [Fact]
    public void random_bytes_from_anywhere_never_throw_and_never_leave()
    {
        var lab = new EngineLab(["action=accept"]);
        var reply = new byte[2048];

        Gen.Select(Gen.Byte.Array[0, 200], Gen.OneOf<int>(Ingresses)).Sample((bytes, ingress) =>
        {
            var parsed = PacketParser.TryParse(bytes, out _, out var parseReason);

            var outcome = lab.Engine.Process(bytes, bytes.Length, ingress, lab.Now, reply);

            Assert.False(outcome.Forwarded);
            Assert.NotEqual(DropReason.None, outcome.Reason);
            if (!parsed)
            {
                Assert.Equal(parseReason, outcome.Reason);
            }
        }, iter: 20_000, threads: 1);
    }

    [Fact]
    public void corrupted_and_cut_packets_of_open_flows_never_throw_and_whatever_leaves_is_a_valid_packet()
    {
        var lab = new EngineLab(["action=accept"]);
        var tcpPort = lab.Through(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn), lab.Work).Info.SourcePort;
        var udpLeft = lab.Through(Packets.Udp(Work6, Remote6, 5353, 53, payload: 16), lab.Work);
        var echoId = lab.Through(Packets.IcmpEcho(Work4, Remote4, id: 7, sequence: 1), lab.Work).Info.SourcePort;
        byte[][] seeds =
        [
            Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Ack, payload: 40, ipv4Options: [1, 1, 1, 1]),
            Packets.Tcp(Remote4, Uplink4, 443, tcpPort, TcpFlags.Syn | TcpFlags.Ack, payload: 8),
            Packets.Udp(Remote6, Uplink6, 53, udpLeft.Info.SourcePort, payload: 30, extensionHeaders: [IpProtocol.DestinationOptions]),
            Packets.IcmpEcho(Remote4, Uplink4, id: echoId, sequence: 1, request: false, payload: 16),
            Packets.IcmpError(Router6, Uplink6, IcmpV6Message.TimeExceeded, 0, udpLeft.Packet),
            Packets.IcmpError(Work4, Remote4, IcmpV4Message.DestinationUnreachable, 3, Packets.Udp(Remote4, Work4, 53, 5353, payload: 8)),
        ];
        var reply = new byte[2048];
        var mutated =
            from seed in Gen.OneOf<byte[]>(seeds)
            from writes in Gen.Select(Gen.Int[0, seed.Length - 1], Gen.Byte).Array[0, 4]
            from length in Gen.Int[0, seed.Length]
            from ingress in Gen.OneOf<int>(Ingresses)
            select (Bytes: Mutate(seed, writes), Length: length, Ingress: ingress);

        mutated.Sample(m =>
        {
            var parsed = PacketParser.TryParse(m.Bytes.AsSpan(0, m.Length), out _, out var parseReason);

            var outcome = lab.Engine.Process(m.Bytes, m.Length, m.Ingress, lab.Now, reply);

            if (!parsed)
            {
                Assert.False(outcome.Forwarded);
                Assert.Equal(parseReason, outcome.Reason);
            }
            if (outcome.Forwarded)
            {
                Assert.InRange(outcome.Length, 20, m.Length);
                Assert.True(PacketParser.TryParse(m.Bytes.AsSpan(0, outcome.Length), out _, out var reason), reason.ToString());
            }
            if (outcome.ReplyLength > 0)
            {
                Assert.True(PacketParser.TryParse(reply.AsSpan(0, outcome.ReplyLength), out _, out var reason), reason.ToString());
            }
        }, iter: 20_000, threads: 1);
    }

    private static byte[] Mutate(byte[] seed, (int At, byte Value)[] writes)
    {
        var bytes = seed.ToArray();
        foreach (var (at, value) in writes)
        {
            bytes[at] = value;
        }
        return bytes;
    }

    [Fact]
    public void an_ipv4_packet_whose_header_checksum_is_wrong_is_dropped_silently_as_linux_and_rfc_1812_drop_it()
    {
        var lab = new EngineLab(["action=reject proto=tcp dstports=25", "action=accept"]);
        var syn = Packets.Tcp(Work4, Remote4, 40000, 25, TcpFlags.Syn);
        syn[10] ^= 0xFF;
        var datagram = Packets.Udp(Work4, Remote4, 5000, 53, payload: 8);
        datagram[10] ^= 0xFF;

        var rejected = lab.FromWork(syn);
        var accepted = lab.FromWork(datagram);

        Assert.Equal((DropReason.BadIpChecksum, 0), (rejected.Reason, rejected.Reply.Length));
        Assert.Equal((false, DropReason.BadIpChecksum), (accepted.Forwarded, accepted.Reason));
        Assert.Equal(0, lab.Engine.Connections.Count);
    }
}
