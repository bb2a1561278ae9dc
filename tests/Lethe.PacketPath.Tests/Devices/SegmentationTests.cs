using System.Buffers.Binary;
using CsCheck;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Devices;

public class SegmentationTests
{
    private const string Client4 = "10.137.0.5";
    private const string Server4 = "192.0.2.10";
    private const string Client6 = "2001:db8::5";
    private const string Server6 = "2001:db8:1::10";

    private static (byte[] Output, Range[] Segments) Room(int segments = 128) => (new byte[256 * 1024], new Range[segments]);

    private static Range[] Split(VirtioNetHeader header, byte[] packet, byte[] output, Range[] segments, int headroom = 0)
    {
        Assert.True(Segmentation.TrySplit(header, packet, output, segments, out var count, out var reason, headroom), $"refused: {reason}");
        Assert.Equal(DropReason.None, reason);
        return segments[..count];
    }

    [Fact]
    public void tso4_superpacket_splits_into_mss_segments_that_follow_each_other()
    {
        var (header, packet) = Offloaded.Partial(Packets.Tcp(Client4, Server4, 40000, 443, TcpFlags.Ack | TcpFlags.Psh, payload: 5000, sequence: 1_000_000, acknowledgement: 77, identification: 0x1000, dontFragment: true), gsoSize: 1448);
        var (output, segments) = Room();

        var split = Split(header, packet, output, segments);

        Assert.Equal([1448, 1448, 1448, 656], SegmentCheck.AssertSplitOf(packet, header, output, split));
        Assert.Equal(TcpFlags.Ack, (TcpFlags)Packets.Parse(output[split[0]]).TcpFlags);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, (TcpFlags)Packets.Parse(output[split[3]]).TcpFlags);
        Assert.True(Ipv4Packet.Unchecked(output[split[2]]).DontFragment);
    }

    [Fact]
    public void tso6_superpacket_with_extension_headers_and_tcp_options_splits()
    {
        var whole = Packets.Tcp(Client6, Server6, 40000, 443, TcpFlags.Ack | TcpFlags.Fin, payload: 4000, sequence: 5, tcpOptions: [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2], extensionHeaders: [IpProtocol.HopByHop, IpProtocol.DestinationOptions]);
        var (header, packet) = Offloaded.Partial(whole, gsoSize: 1000);
        var (output, segments) = Room();

        var split = Split(header, packet, output, segments);

        Assert.Equal([1000, 1000, 1000, 1000], SegmentCheck.AssertSplitOf(packet, header, output, split));
        Assert.Equal(VirtioGsoType.TcpV6, header.GsoType);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Fin, (TcpFlags)Packets.Parse(output[split[3]]).TcpFlags);
    }

    [Fact]
    public void fin_and_psh_stay_on_the_last_segment_and_cwr_on_the_first()
    {
        var flags = TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin | TcpFlags.Cwr | TcpFlags.Ece;
        var (header, packet) = Offloaded.Partial(Packets.Tcp(Client4, Server4, 40000, 443, flags, payload: 3000), gsoSize: 1000);
        header = header with { GsoType = VirtioGsoType.TcpV4 | VirtioGsoType.Ecn };
        var (output, segments) = Room();

        var split = Split(header, packet, output, segments);

        var seen = split.ToArray().Select(r => (TcpFlags)Packets.Parse(output[r]).TcpFlags).ToArray();
        Assert.Equal([TcpFlags.Ack | TcpFlags.Cwr | TcpFlags.Ece, TcpFlags.Ack | TcpFlags.Ece, TcpFlags.Ack | TcpFlags.Ece | TcpFlags.Psh | TcpFlags.Fin], seen);
    }

    [Fact]
    public void sequence_numbers_and_ipv4_identifications_wrap()
    {
        var (header, packet) = Offloaded.Partial(Packets.Tcp(Client4, Server4, 40000, 443, TcpFlags.Ack, payload: 3000, sequence: uint.MaxValue - 1500, identification: 0xFFFF), gsoSize: 1000);
        var (output, segments) = Room();

        var split = Split(header, packet, output, segments);

        SegmentCheck.AssertSplitOf(packet, header, output, split);
        Assert.Equal(0, Ipv4Packet.Unchecked(output[split[1]]).Identification);
        Assert.Equal(499u, TcpSegment.Unchecked(output[split[2]].AsSpan(20)).SequenceNumber);
    }

    [Theory]
    [InlineData(Client4, Server4)]
    [InlineData(Client6, Server6)]
    public void uso_superpacket_splits_into_datagrams_of_gso_size(string source, string destination)
    {
        var (header, packet) = Offloaded.Partial(Packets.Udp(source, destination, 5000, 4433, payload: 3500, identification: 9), gsoSize: 1200);
        var (output, segments) = Room();

        var split = Split(header, packet, output, segments);

        Assert.Equal([1200, 1200, 1100], SegmentCheck.AssertSplitOf(packet, header, output, split));
    }

    [Fact]
    public void a_superpacket_of_one_segment_or_none_yields_one_packet()
    {
        var (header, packet) = Offloaded.Partial(Packets.Tcp(Client4, Server4, 40000, 443, TcpFlags.Ack, payload: 500), gsoSize: 1448);
        var (bare, barePacket) = Offloaded.Partial(Packets.Tcp(Client4, Server4, 40000, 443, TcpFlags.Ack), gsoSize: 1448);
        var (output, segments) = Room();

        Assert.Equal([500], SegmentCheck.AssertSplitOf(packet, header, output, Split(header, packet, output, segments)));
        Assert.Equal([0], SegmentCheck.AssertSplitOf(barePacket, bare, output, Split(bare, barePacket, output, segments)));
    }

    [Fact]
    public void headroom_before_each_segment_is_a_zero_virtio_header()
    {
        var (header, packet) = Offloaded.Partial(Packets.Tcp(Client4, Server4, 40000, 443, TcpFlags.Ack, payload: 2500), gsoSize: 1000);
        var (output, segments) = Room();
        output.AsSpan().Fill(0xEE);

        var split = Split(header, packet, output, segments, headroom: VirtioNetHeader.Size);

        SegmentCheck.AssertSplitOf(packet, header, output, split);
        Assert.Equal(VirtioNetHeader.Size, split[0].Start.Value);
        foreach (var range in split)
        {
            Assert.Equal(new byte[VirtioNetHeader.Size], output[(range.Start.Value - VirtioNetHeader.Size)..range.Start.Value]);
        }
        Assert.Equal(split[0].End.Value + VirtioNetHeader.Size, split[1].Start.Value);
    }

    [Fact]
    public void a_packet_without_gso_is_copied_with_its_checksum_completed()
    {
        var whole = Packets.Udp(Client6, Server6, 5000, 53, payload: 300);
        var (header, packet) = Offloaded.Partial(whole);
        var (output, segments) = Room();

        var split = Split(header, packet, output, segments, headroom: 4);

        Assert.Single(split);
        Assert.Equal(whole, output[split[0]]);
    }

    [Fact]
    public void too_few_segment_slots_or_too_little_output_is_too_big()
    {
        var (header, packet) = Offloaded.Partial(Packets.Tcp(Client4, Server4, 40000, 443, TcpFlags.Ack, payload: 5000), gsoSize: 1000);

        Assert.False(Segmentation.TrySplit(header, packet, new byte[64 * 1024], new Range[4], out var count, out var reason));
        Assert.Equal((0, DropReason.TooBig), (count, reason));
        Assert.False(Segmentation.TrySplit(header, packet, new byte[5000 + 5 * 40 - 1], new Range[5], out count, out reason));
        Assert.Equal((0, DropReason.TooBig), (count, reason));
        Assert.True(Segmentation.TrySplit(header, packet, new byte[5000 + 5 * 40], new Range[5], out count, out _));
        Assert.Equal(5, count);
    }

    public static TheoryData<string, VirtioNetHeader, byte[], DropReason> Refusals => new()
    {
        { "UFO is never enabled", new(VirtioNetFlags.NeedsChecksum, VirtioGsoType.Udp, 28, 1000, 20, 6), Packets.Udp(Client4, Server4, 1, 2, payload: 3000), DropReason.UnsupportedProtocol },
        { "TCPV4 over IPv6", new(VirtioNetFlags.NeedsChecksum, VirtioGsoType.TcpV4, 60, 1000, 40, 16), Packets.Tcp(Client6, Server6, 1, 2, TcpFlags.Ack, payload: 3000), DropReason.BadIpVersion },
        { "TCPV6 over IPv4", new(VirtioNetFlags.NeedsChecksum, VirtioGsoType.TcpV6, 40, 1000, 20, 16), Packets.Tcp(Client4, Server4, 1, 2, TcpFlags.Ack, payload: 3000), DropReason.BadIpVersion },
        { "TCP type on UDP", new(VirtioNetFlags.NeedsChecksum, VirtioGsoType.TcpV4, 28, 1000, 20, 16), Packets.Udp(Client4, Server4, 1, 2, payload: 3000), DropReason.UnsupportedProtocol },
        { "UDP_L4 on TCP", new(VirtioNetFlags.NeedsChecksum, VirtioGsoType.UdpL4, 40, 1000, 20, 6), Packets.Tcp(Client4, Server4, 1, 2, TcpFlags.Ack, payload: 3000), DropReason.UnsupportedProtocol },
        { "gso_size 0", new(VirtioNetFlags.NeedsChecksum, VirtioGsoType.TcpV4, 40, 0, 20, 16), Packets.Tcp(Client4, Server4, 1, 2, TcpFlags.Ack, payload: 3000), DropReason.BadTransportHeader },
        { "cut short", new(VirtioNetFlags.NeedsChecksum, VirtioGsoType.TcpV4, 40, 1000, 20, 16), Packets.Tcp(Client4, Server4, 1, 2, TcpFlags.Ack, payload: 3000)[..2000], DropReason.Truncated },
        { "empty", new(VirtioNetFlags.NeedsChecksum, VirtioGsoType.TcpV4, 40, 1000, 20, 16), [], DropReason.Truncated },
        { "IPv4 fragment", new(VirtioNetFlags.NeedsChecksum, VirtioGsoType.UdpL4, 28, 500, 20, 6), Packets.Fragment(Packets.Udp(Client4, Server4, 1, 2, payload: 3000), 0, 1600), DropReason.BadFragment },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void refuses_a_packet_that_does_not_match_its_header(string why, VirtioNetHeader header, byte[] packet, DropReason expected)
    {
        var (output, segments) = Room();

        Assert.False(Segmentation.TrySplit(header, packet, output, segments, out var count, out var reason), why);
        Assert.Equal((0, expected), (count, reason));
    }

    [Theory]
    [InlineData(Client4, Server4, IpProtocol.Tcp)]
    [InlineData(Client4, Server4, IpProtocol.Udp)]
    [InlineData(Client6, Server6, IpProtocol.Tcp)]
    [InlineData(Client6, Server6, IpProtocol.Udp)]
    public void completing_a_partial_checksum_gives_the_full_checksum(string source, string destination, byte protocol)
    {
        var whole = protocol == IpProtocol.Tcp
            ? Packets.Tcp(source, destination, 40000, 443, TcpFlags.Ack | TcpFlags.Psh, payload: 1001)
            : Packets.Udp(source, destination, 40000, 443, payload: 1001);
        var (header, packet) = Offloaded.Partial(whole);
        Assert.NotEqual(whole, packet);

        Assert.True(Segmentation.CompleteChecksum(header, packet));

        Assert.Equal(whole, packet);
    }

    [Fact]
    public void a_udp_checksum_that_completes_to_zero_is_sent_as_all_ones()
    {
        // Find the source port whose datagram sums to 0xFFFF, so its checksum computes to 0.
        byte[] whole = [];
        for (ushort port = 1; port != 0; port++)
        {
            whole = Packets.Udp(Client4, Server4, port, 53, payload: 20);
            if (UdpDatagram.Unchecked(whole.AsSpan(20)).Checksum == 0xFFFF)
            {
                break;
            }
        }
        var (header, packet) = Offloaded.Partial(whole);

        Assert.True(Segmentation.CompleteChecksum(header, packet));

        Assert.Equal(0xFFFF, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(26)));
    }

    [Fact]
    public void completing_leaves_a_packet_without_needs_csum_alone()
    {
        var whole = Packets.Udp(Client4, Server4, 1, 2, payload: 10);
        var packet = (byte[])whole.Clone();

        Assert.True(Segmentation.CompleteChecksum(new VirtioNetHeader(VirtioNetFlags.DataValid, VirtioGsoType.None, 0, 0, 20, 6), packet));

        Assert.Equal(whole, packet);
    }

    [Theory]
    [InlineData(20, 16, 37)]
    [InlineData(60, 6, 60)]
    [InlineData(20, 5, 100)]
    public void completing_refuses_offsets_outside_the_packet(int start, int offset, int length)
    {
        var packet = new byte[length];

        Assert.False(Segmentation.CompleteChecksum(new VirtioNetHeader(VirtioNetFlags.NeedsChecksum, VirtioGsoType.None, 0, 0, (ushort)start, (ushort)offset), packet));

        Assert.Equal(new byte[length], packet);
    }

    [Fact]
    public void splitting_allocates_nothing()
    {
        var (header, packet) = Offloaded.Partial(Packets.Tcp(Client6, Server6, 40000, 443, TcpFlags.Ack, payload: 60000), gsoSize: 1428);
        var (udpHeader, udpPacket) = Offloaded.Partial(Packets.Udp(Client4, Server4, 40000, 443, payload: 30000), gsoSize: 1400);
        var (output, segments) = Room();

        var warm = Rounds(200);
        // The least of three batches: the runtime's one-off work (tiered JIT, OSR) lands on this thread in one
        // batch at most (a CI run saw 7 KB of it), while a per-packet allocation would show in every one.
        var allocated = long.MaxValue;
        for (var batch = 0; batch < 3; batch++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var measured = Rounds(1000);
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(2 * 1000, measured);
        }

        Assert.Equal(2 * 200, warm);
        // A per-packet allocation would cost at least 24 bytes each time; less than a byte per operation leaves
        // room only for that one-off work.
        Assert.True(allocated < 2 * 1000, $"{allocated} bytes allocated over 2,000 splits");

        int Rounds(int count)
        {
            var split = 0;
            for (var i = 0; i < count; i++)
            {
                split += Segmentation.TrySplit(header, packet, output, segments, out _, out _, VirtioNetHeader.Size) ? 1 : 0;
                split += Segmentation.TrySplit(udpHeader, udpPacket, output, segments, out _, out _) ? 1 : 0;
            }
            return split;
        }
    }

    private static readonly Gen<byte[]> Nops = Gen.Int[0, 10].Select(words => Enumerable.Repeat((byte)1, words * 4).ToArray());

    private static readonly Gen<byte[]> V6Extensions =
        Gen.OneOf<byte[]>([], [IpProtocol.HopByHop], [IpProtocol.DestinationOptions], [IpProtocol.HopByHop, IpProtocol.Routing, IpProtocol.DestinationOptions]);

    private static readonly Gen<byte[]> Superpacket = Gen.OneOf(
        Gen.Select(Gen.Int[0, 9000], Gen.Byte, Gen.UInt, Gen.UShort, Nops, Nops)
            .Select((n, f, seq, id, tcpOptions, ipOptions) => Packets.Tcp(Client4, Server4, 40000, 443, (TcpFlags)(f & 0xF9) | TcpFlags.Ack, payload: n, sequence: seq, identification: id, tcpOptions: tcpOptions, ipv4Options: ipOptions)),
        Gen.Select(Gen.Int[0, 9000], Gen.Byte, Gen.UInt, Nops, V6Extensions)
            .Select((n, f, seq, tcpOptions, extensions) => Packets.Tcp(Client6, Server6, 40000, 443, (TcpFlags)(f & 0xF9) | TcpFlags.Ack, payload: n, sequence: seq, tcpOptions: tcpOptions, extensionHeaders: extensions)),
        Gen.Select(Gen.Int[0, 9000], Gen.UShort, Nops).Select((n, id, ipOptions) => Packets.Udp(Client4, Server4, 5000, 443, payload: n, identification: id, ipv4Options: ipOptions)),
        Gen.Select(Gen.Int[0, 9000], V6Extensions).Select((n, extensions) => Packets.Udp(Client6, Server6, 5000, 443, payload: n, extensionHeaders: extensions)));

    [Fact]
    public void any_superpacket_splits_into_valid_segments_that_add_up_to_it()
    {
        Gen.Select(Superpacket, Gen.Int[16, 2000], Gen.OneOf(Gen.Const(0), Gen.Const(VirtioNetHeader.Size)), Gen.Bool).Sample((whole, mss, headroom, ecn) =>
        {
            var (header, packet) = Offloaded.Partial(whole, (ushort)mss);
            if (ecn && header.Gso != VirtioGsoType.UdpL4)
            {
                header = header with { GsoType = header.GsoType | VirtioGsoType.Ecn };
            }
            var info = Packets.Parse(packet);
            var payload = info.TotalLength - header.HeaderLength;
            var needed = Math.Max(1, (payload + mss - 1) / mss);
            var output = new byte[needed * (headroom + header.HeaderLength) + payload];

            Assert.False(Segmentation.TrySplit(header, packet, output, new Range[needed - 1], out _, out var tooBig, headroom));
            Assert.Equal(DropReason.TooBig, tooBig);
            var segments = new Range[needed];
            Assert.True(Segmentation.TrySplit(header, packet, output, segments, out var count, out var reason, headroom), $"refused: {reason}");
            Assert.Equal(needed, count);
            SegmentCheck.AssertSplitOf(packet, header, output, segments);
        }, iter: 300);
    }

    [Fact]
    public void a_superpacket_split_in_parts_gives_the_segments_of_a_split_in_one_go()
    {
        Gen.Select(Superpacket, Gen.Int[16, 2000], Gen.Int[1, 5], Gen.OneOf(Gen.Const(0), Gen.Const(VirtioNetHeader.Size))).Sample((whole, mss, slots, headroom) =>
        {
            var (header, packet) = Offloaded.Partial(whole, (ushort)mss);
            var (output, segments) = Room(segments: 2048);
            var expected = Split(header, packet, output, segments, headroom).Select(r => output[r]).ToList();

            var parts = new List<byte[]>();
            var (small, ranges) = (new byte[256 * 1024], new Range[slots]);
            var first = 0;
            int left;
            do
            {
                Assert.True(Segmentation.TrySplitFrom(header, packet, first, small, ranges, out var count, out left, out var reason, headroom), $"refused: {reason}");
                Assert.InRange(count, 1, slots);
                parts.AddRange(ranges[..count].Select(r => small[r]));
                first += count;
            }
            while (left > 0);

            Assert.Equal(expected, parts);
            Assert.False(Segmentation.TrySplitFrom(header, packet, first, small, ranges, out _, out _, out var past, headroom));
            Assert.Equal(DropReason.TooBig, past);
        }, iter: 200);
    }

    [Fact]
    public void a_tso_superpacket_with_more_segments_than_one_buffer_holds_is_split_in_parts()
    {
        // 60,000 bytes at an MSS of 48 (Linux's tcp_min_snd_mss) are 1,250 segments.
        var (header, packet) = Offloaded.Partial(Packets.Tcp(Client4, Server4, 40000, 443, TcpFlags.Ack, payload: 60_000, sequence: 5), gsoSize: 48);
        var (output, ranges) = (new byte[64 * 1024], new Range[512]);
        var sequences = new List<uint>();
        var first = 0;
        int left;
        do
        {
            Assert.True(Segmentation.TrySplitFrom(header, packet, first, output, ranges, out var count, out left, out var reason), $"refused: {reason}");
            foreach (var range in ranges[..count])
            {
                Assert.Equal(40 + 48, output[range].Length);
                sequences.Add(BinaryPrimitives.ReadUInt32BigEndian(output.AsSpan(range)[24..]));
            }
            first += count;
        }
        while (left > 0);

        Assert.Equal(1250, sequences.Count);
        Assert.Equal(Enumerable.Range(0, 1250).Select(i => (uint)(5 + 48 * i)), sequences);
        Assert.False(Segmentation.TrySplit(header, packet, output, ranges, out _, out var tooBig));
        Assert.Equal(DropReason.TooBig, tooBig);
    }

    [Theory]
    [InlineData(2)] // Mobile IPv6: the home address
    [InlineData(4)] // SRv6: segment list [0]
    public void tso6_segments_behind_a_routing_header_keep_the_final_destination_in_their_checksums(byte type)
    {
        // RFC 8200 §8.1: with a Routing header still to be followed, the pseudo-header names the final
        // destination; the kernel's own GSO keeps it (checked on Linux 6.18: a TUN with TSO forwarding to one without).
        var (source, hop, final) = (NetAddress.Parse(Client6), NetAddress.Parse("2001:db8:1::1"), NetAddress.Parse("2001:db8:2::10"));
        var tcp = Packets.Tcp(Client6, final.ToString(), 40000, 443, TcpFlags.Ack | TcpFlags.Psh, payload: 3000, sequence: 1000)[40..];
        var packet = new byte[40 + 24 + tcp.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(24 + tcp.Length));
        packet[6] = IpProtocol.Routing;
        packet[7] = 64;
        source.WriteTo(packet.AsSpan(8));
        hop.WriteTo(packet.AsSpan(24));
        (packet[40], packet[41], packet[42], packet[43]) = (IpProtocol.Tcp, 2, type, 1); // one address, one segment left
        final.WriteTo(packet.AsSpan(48));
        tcp.CopyTo(packet, 64);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(64 + 16), (ushort)~Checksum.Finish(Checksum.PseudoHeader(source, final, IpProtocol.Tcp, tcp.Length)));
        var header = new VirtioNetHeader(VirtioNetFlags.NeedsChecksum, VirtioGsoType.TcpV6, 64 + 20, 1000, 64, VirtioNetHeader.TcpChecksumOffset);
        var (output, segments) = Room();

        var split = Split(header, packet, output, segments);

        Assert.Equal(3, split.Length);
        for (var i = 0; i < split.Length; i++)
        {
            Assert.True(TcpSegment.Unchecked(output.AsSpan(split[i])[64..]).VerifyChecksum(source, final), $"segment {i}: TCP checksum over the final destination");
        }
    }
}
