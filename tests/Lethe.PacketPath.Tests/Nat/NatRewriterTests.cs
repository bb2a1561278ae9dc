using CsCheck;
using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Nat.NatPackets;

namespace Lethe.PacketPath.Tests.Nat;

public class NatRewriterTests
{
    public static TheoryData<string> Flows => new() { "tcp4", "tcp6", "udp4", "udp6", "icmp4", "icmp6" };

    private static byte[] ClientPacket(string flow) => flow switch
    {
        "tcp4" => Tcp(Client4, Remote4, 51000, 443, 0x18, Payload(37)),
        "tcp6" => Tcp(Client6, Remote6, 51000, 443, 0x18, Payload(37)),
        "udp4" => Udp(Client4, Remote4, 5353, 53, Payload(29)),
        "udp6" => Udp(Client6, Remote6, 5353, 53, Payload(29)),
        "icmp4" => Echo(Client4, Remote4, id: 0x1234, sequence: 9, payload: Payload(56)),
        "icmp6" => Echo(Client6, Remote6, id: 0x1234, sequence: 9, payload: Payload(56)),
        _ => throw new ArgumentOutOfRangeException(nameof(flow)),
    };

    private static NetAddress UplinkFor(byte[] packet) => packet[0] >> 4 == 6 ? Uplink6 : Uplink4;

    [Theory]
    [MemberData(nameof(Flows))]
    public void source_rewrite_verifies_and_rewriting_back_restores_the_bytes(string flow)
    {
        var original = ClientPacket(flow);
        var packet = original.ToArray();
        var info = Info(packet);
        var (client, clientPort) = (info.Source, info.SourcePort);

        Assert.True(NatRewriter.RewriteSource(packet, ref info, UplinkFor(packet), 40001));

        Assert.Equal(UplinkFor(packet), Source(packet));
        Assert.Equal(UplinkFor(packet), info.Source);
        Assert.Equal(40001, info.SourcePort);
        Assert.Equal(Info(packet).SourcePort, info.SourcePort);
        Assert.True(HeaderChecksumVerifies(packet));
        Assert.True(TransportChecksumVerifies(packet));

        Assert.True(NatRewriter.RewriteSource(packet, ref info, client, clientPort));
        Assert.Equal(original, packet);
    }

    [Theory]
    [MemberData(nameof(Flows))]
    public void destination_rewrite_of_a_reply_verifies_and_rewriting_back_restores_the_bytes(string flow)
    {
        var v6 = flow.EndsWith('6');
        var (remote, uplink, client) = v6 ? (Remote6, Uplink6, Client6) : (Remote4, Uplink4, Client4);
        var reply = flow[..^1] switch
        {
            "tcp" => Tcp(remote, uplink, 443, 40001, 0x12, Payload(11)),
            "udp" => Udp(remote, uplink, 53, 40001, Payload(70)),
            _ => Echo(remote, uplink, id: 40001, sequence: 9, request: false, payload: Payload(56)),
        };
        var packet = reply.ToArray();
        var info = Info(packet);

        Assert.True(NatRewriter.RewriteDestination(packet, ref info, client, 51000));

        Assert.Equal(client, Destination(packet));
        Assert.Equal(51000, info.DestinationPort);
        Assert.Equal(Info(packet).DestinationPort, info.DestinationPort);
        Assert.True(HeaderChecksumVerifies(packet));
        Assert.True(TransportChecksumVerifies(packet));

        Assert.True(NatRewriter.RewriteDestination(packet, ref info, uplink, 40001));
        Assert.Equal(reply, packet);
    }

    [Theory]
    [InlineData(IpProtocol.Dccp, false)]
    [InlineData(IpProtocol.Dccp, true)]
    [InlineData(IpProtocol.UdpLite, false)]
    [InlineData(IpProtocol.UdpLite, true)]
    public void dccp_and_udp_lite_keep_a_valid_checksum_through_the_address_change(byte protocol, bool v6)
    {
        // Both put a checksum over the pseudo header at bytes 6-7; without the update every translated packet fails it at the receiver.
        var (client, remote, uplink) = v6 ? (Client6, Remote6, Uplink6) : (Client4, Remote4, Uplink4);
        var segment = new byte[24];
        segment[0] = 0x13; segment[1] = 0x88; segment[2] = 0x17; segment[3] = 0x70; // ports 5000 -> 6000
        Payload(16).CopyTo(segment, 8);
        var original = Ip(client, remote, protocol, segment);
        var packet = original.ToArray();
        var info = Info(packet);

        Assert.True(NatRewriter.RewriteSource(packet, ref info, uplink, 40001));

        Assert.Equal(uplink, Source(packet));
        Assert.True(TransportChecksumVerifies(packet));
        Assert.True(v6 || HeaderChecksumVerifies(packet));
        Assert.True(NatRewriter.RewriteSource(packet, ref info, client, 0));
        Assert.Equal(original, packet);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void udp_without_checksum_keeps_a_zero_checksum(bool v6)
    {
        // Over IPv6 only tunnels send one (RFC 6935, 6936); any other value would make their receiver drop every datagram.
        var (client, remote, uplink) = v6 ? (Client6, Remote6, Uplink6) : (Client4, Remote4, Uplink4);
        var udpAt = v6 ? 40 : 20;
        var original = Udp(client, remote, 5353, 4789, Payload(12), withoutChecksum: true);
        var packet = original.ToArray();
        var info = Info(packet);

        Assert.True(NatRewriter.RewriteSource(packet, ref info, uplink, 40001));

        Assert.Equal(0, Word(packet, udpAt + 6));
        Assert.Equal(40001, Word(packet, udpAt));
        Assert.True(v6 || HeaderChecksumVerifies(packet));
        Assert.True(NatRewriter.RewriteSource(packet, ref info, client, 5353));
        Assert.Equal(original, packet);
    }

    [Fact]
    public void udp_checksum_that_computes_to_zero_is_sent_as_all_ones_and_still_round_trips()
    {
        // Choose the last payload word so that the translated datagram's checksum computes to zero.
        var packet = Udp(Uplink4, Remote4, 40001, 53, new byte[8]);
        var sum = Checksum.Add(Checksum.PseudoHeader(Uplink4, Remote4, 17, 16), packet.AsSpan(20, 6));
        sum = Checksum.Add(sum, packet.AsSpan(28));
        var folded = (ushort)~Checksum.Finish(sum);
        var word = (ushort)(0xFFFF - folded);
        packet[34] = (byte)(word >> 8);
        packet[35] = (byte)word;
        var translated = Udp(Uplink4, Remote4, 40001, 53, packet[28..]);
        Assert.Equal(0xFFFF, Word(translated, 26));
        var original = Udp(Client4, Remote4, 5353, 53, packet[28..]);

        var rewritten = original.ToArray();
        var info = Info(rewritten);
        Assert.True(NatRewriter.RewriteSource(rewritten, ref info, Uplink4, 40001));
        Assert.Equal(translated, rewritten);
        Assert.True(NatRewriter.RewriteSource(rewritten, ref info, Client4, 5353));
        Assert.Equal(original, rewritten);
    }

    [Fact]
    public void icmpv4_echo_changes_only_its_identifier_word_in_the_icmp_checksum()
    {
        var packet = Echo(Client4, Remote4, id: 0x1234, sequence: 1, payload: Payload(8));
        var checksum = Word(packet, 22);
        var info = Info(packet);

        Assert.True(NatRewriter.RewriteSource(packet, ref info, Uplink4, 0x1235));

        // No pseudo header: moving the identifier up by one moves the checksum down by one.
        Assert.Equal((ushort)(checksum - 1), Word(packet, 22));
        Assert.Equal(0x1235, Word(packet, 24));
        Assert.Equal(0x1235, info.SourcePort);
        Assert.Equal(0x1235, info.DestinationPort);
    }

    [Fact]
    public void a_non_first_fragment_changes_only_the_ip_header()
    {
        var packet = Udp(Client4, Remote4, 5353, 53, Payload(16));
        var info = Info(packet);
        info.IsFragment = true;
        info.FragmentOffset = 1480;
        var transport = packet[20..];

        Assert.True(NatRewriter.RewriteSource(packet, ref info, Uplink4, 40001));

        Assert.Equal(Uplink4, Source(packet));
        Assert.True(HeaderChecksumVerifies(packet));
        Assert.Equal(transport, packet[20..]);
    }

    [Fact]
    public void a_truncated_segment_is_refused_and_left_untouched()
    {
        var whole = Tcp(Client4, Remote4, 51000, 443);
        var packet = whole[..30];
        var info = Info(whole);
        info.TotalLength = packet.Length;
        var before = packet.ToArray();

        Assert.False(NatRewriter.RewriteSource(packet, ref info, Uplink4, 40001));
        Assert.Equal(before, packet);
    }

    [Fact]
    public void an_address_of_the_other_family_is_refused()
    {
        var packet = Tcp(Client4, Remote4, 51000, 443);
        var info = Info(packet);

        Assert.False(NatRewriter.RewriteSource(packet, ref info, Uplink6, 40001));
        Assert.Equal(Client4, Source(packet));
    }

    [Fact]
    public void random_packets_round_trip_through_both_rewrites_with_valid_checksums()
    {
        var gen = Gen.Select(Gen.Int[0, 5], Gen.UShort[1, 65535], Gen.UShort[1, 65535], Gen.Byte.Array[0, 300], Gen.UInt, Gen.UInt);
        gen.Sample((kind, clientPort, natPort, payload, clientBits, uplinkBits) =>
        {
            var v6 = kind % 2 == 1;
            var client = v6 ? new NetAddress(((UInt128)0xfd00_0137UL << 96) | clientBits, true) : NetAddress.V4(clientBits);
            var uplink = v6 ? new NetAddress(((UInt128)0x2001_0db8UL << 96) | uplinkBits, true) : NetAddress.V4(uplinkBits);
            var remote = v6 ? Remote6 : Remote4;
            var original = (kind / 2) switch
            {
                0 => Tcp(client, remote, clientPort, 443, 0x10, payload),
                1 => Udp(client, remote, clientPort, 53, payload),
                _ => Echo(client, remote, clientPort, 7, payload: payload),
            };
            var packet = original.ToArray();
            var info = Info(packet);

            Assert.True(NatRewriter.RewriteSource(packet, ref info, uplink, natPort));
            Assert.True(HeaderChecksumVerifies(packet));
            Assert.True(TransportChecksumVerifies(packet));
            Assert.True(NatRewriter.RewriteSource(packet, ref info, client, clientPort));
            Assert.Equal(original, packet);
        }, iter: 2000);
    }
}
