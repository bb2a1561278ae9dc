using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Devices;

public class UdpCoalescerTests
{
    private const string Client4 = "10.137.0.5";
    private const string Server4 = "192.0.2.10";
    private const string Client6 = "2001:db8::5";
    private const string Server6 = "2001:db8:1::10";
    private const int Device = 1;

    /// <summary>
    /// Datagram <paramref name="index"/> of a stream, as a TUN with offloads hands it over: DF set, checksum still to compute, its own payload
    /// bytes, and the identification a connected socket gives it (one more than the last) unless <paramref name="identification"/> says otherwise.
    /// </summary>
    private static (VirtioNetHeader Header, byte[] Packet) Datagram(
        int index,
        int payload,
        bool v6 = false,
        ushort destinationPort = 4500,
        byte ttl = 64,
        bool dontFragment = true,
        string? destination = null,
        ushort? identification = null)
    {
        var whole = Packets.Udp(v6 ? Client6 : Client4, destination ?? (v6 ? Server6 : Server4), 40000, destinationPort, payload,
            ttl: ttl, dontFragment: dontFragment, identification: identification ?? (ushort)(0xFFFE + index));
        var headers = (v6 ? Ipv6Packet.HeaderLength : Ipv4Packet.MinHeaderLength) + UdpDatagram.HeaderLength;
        for (var i = headers; i < whole.Length; i++)
        {
            whole[i] = (byte)(index * 31 + i);
        }
        return Offloaded.Partial(whole);
    }

    private static byte[] PayloadOf(byte[] packet, bool v6) =>
        packet[((v6 ? Ipv6Packet.HeaderLength : Ipv4Packet.MinHeaderLength) + UdpDatagram.HeaderLength)..];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void datagrams_of_one_flow_leave_as_one_uso_packet_that_splits_back_into_them(bool v6)
    {
        var coalescer = new UdpCoalescer();
        var sizes = new[] { 1000, 1000, 1000, 1000, 1000, 300 };
        var datagrams = sizes.Select((size, i) => Datagram(i, size, v6)).ToArray();

        foreach (var (header, packet) in datagrams)
        {
            Assert.True(coalescer.TryAdd(Device, header, packet));
        }
        Assert.Equal((Device, 6), (coalescer.Device, coalescer.Count));
        var frame = coalescer.Take().ToArray();

        var ipLength = v6 ? Ipv6Packet.HeaderLength : Ipv4Packet.MinHeaderLength;
        var written = VirtioNetHeader.Read(frame);
        Assert.Equal(
            new VirtioNetHeader(VirtioNetFlags.NeedsChecksum, VirtioGsoType.UdpL4, (ushort)(ipLength + 8), 1000, (ushort)ipLength, VirtioNetHeader.UdpChecksumOffset),
            written);
        var superpacket = frame[VirtioNetHeader.Size..];
        Assert.Equal(ipLength + 8 + sizes.Sum(), superpacket.Length);
        // The kernel derives each datagram's checksum from the pseudo-header sum left in the field.
        var completed = (byte[])superpacket.Clone();
        Assert.True(Segmentation.CompleteChecksum(written, completed));
        var whole = Packets.Parse(completed);
        Assert.True(UdpDatagram.Unchecked(completed.AsSpan(ipLength)).VerifyChecksum(whole.Source, whole.Destination), "pseudo-header sum");
        var output = new byte[128 * 1024];
        var ranges = new Range[64];
        Assert.True(Segmentation.TrySplit(written, superpacket, output, ranges, out var count, out var reason), $"refused: {reason}");
        Assert.Equal(sizes, SegmentCheck.AssertSplitOf(superpacket, written, output, ranges.AsSpan(0, count)));
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(PayloadOf(datagrams[i].Packet, v6), PayloadOf(output[ranges[i]], v6));
            if (!v6)
            {
                // Each leaves with the identification it came with (0xFFFE, 0xFFFF, 0, 1, ...).
                Assert.Equal(datagrams[i].Packet[4..6], output[ranges[i]][4..6]);
            }
        }
        Assert.Equal((-1, 0), (coalescer.Device, coalescer.Count));
    }

    [Fact]
    public void ipv4_datagrams_whose_identifications_do_not_count_up_by_one_are_not_joined()
    {
        // An unconnected socket sends DF datagrams with identification 0; the split would number them 0, 1, 2.
        var coalescer = new UdpCoalescer();
        var (firstHeader, first) = Datagram(0, 1000, identification: 0);
        var (secondHeader, second) = Datagram(1, 1000, identification: 0);
        var (skippedHeader, skipped) = Datagram(1, 1000, identification: 2);

        Assert.True(coalescer.TryAdd(Device, firstHeader, first));
        Assert.False(coalescer.TryAdd(Device, secondHeader, second));
        Assert.False(coalescer.TryAdd(Device, skippedHeader, skipped));
        Assert.Equal(1, coalescer.Count);
    }

    [Fact]
    public void a_lone_datagram_leaves_as_it_came()
    {
        var coalescer = new UdpCoalescer();
        var (header, packet) = Datagram(0, 700);

        Assert.True(coalescer.TryAdd(Device, header, packet));

        Assert.Equal(Offloaded.Frame(header, packet), coalescer.Take().ToArray());
        Assert.Equal(0, coalescer.Take().Length);
    }

    [Fact]
    public void a_datagram_the_kernel_already_verified_may_join()
    {
        var coalescer = new UdpCoalescer();
        var (_, first) = Datagram(0, 500);
        var (_, second) = Datagram(1, 500);
        var verified = new VirtioNetHeader(VirtioNetFlags.DataValid, VirtioGsoType.None, 0, 0, 0, 0);

        Assert.True(coalescer.TryAdd(Device, verified, first));
        Assert.True(coalescer.TryAdd(Device, verified, second));
        Assert.Equal(2, coalescer.Count);
    }

    [Fact]
    public void a_shorter_datagram_ends_the_packet_and_a_longer_one_never_joins()
    {
        var coalescer = new UdpCoalescer();
        Assert.True(coalescer.TryAdd(Device, Datagram(0, 1000).Header, Datagram(0, 1000).Packet));
        var (longer, longerPacket) = Datagram(1, 1001);
        Assert.False(coalescer.TryAdd(Device, longer, longerPacket));
        Assert.True(coalescer.TryAdd(Device, Datagram(1, 300).Header, Datagram(1, 300).Packet));
        var (after, afterPacket) = Datagram(2, 300);

        Assert.False(coalescer.TryAdd(Device, after, afterPacket));
        Assert.Equal(2, coalescer.Count);
    }

    public static TheoryData<string, bool> Others => new()
    {
        { "another destination port", false },
        { "another destination address", false },
        { "another TTL", false },
        { "another device", false },
        { "another destination port", true },
        { "another destination address", true },
        { "another hop limit", true },
        { "another device", true },
    };

    [Theory]
    [MemberData(nameof(Others))]
    public void a_datagram_that_differs_in_more_than_length_does_not_join_and_changes_nothing(string difference, bool v6)
    {
        var coalescer = new UdpCoalescer();
        var (header, packet) = Datagram(0, 800, v6);
        Assert.True(coalescer.TryAdd(Device, header, packet));
        var device = Device;
        var other = difference switch
        {
            "another destination port" => Datagram(1, 800, v6, destinationPort: 4501),
            "another destination address" => Datagram(1, 800, v6, destination: v6 ? "2001:db8:1::11" : "192.0.2.11"),
            "another TTL" or "another hop limit" => Datagram(1, 800, v6, ttl: 63),
            _ => Datagram(1, 800, v6),
        };
        if (difference == "another device")
        {
            device = Device + 1;
        }

        Assert.False(coalescer.TryAdd(device, other.Header, other.Packet));

        Assert.Equal(Offloaded.Frame(header, packet), coalescer.Take().ToArray());
    }

    public static TheoryData<string> Loners => new()
    {
        "DF clear",
        "IPv4 options",
        "a fragment",
        "checksum complete and not verified",
        "already a USO packet",
        "IPv6 extension header",
        "no payload",
        "not UDP",
        "sent without a checksum",
        "sent without a checksum over IPv6",
    };

    /// <summary>
    /// A datagram whose sender put no checksum (0: VXLAN over IPv4, SO_NO_CHECK) that a veth marked verified.
    /// Linux's UDP GRO never joins one, since the split would give it a checksum its sender never sent (and an
    /// IPv6 one, which RFC 8200 §8.1 has the receiver discard, would arrive valid).
    /// </summary>
    private static (VirtioNetHeader Header, byte[] Packet) WithoutChecksum(bool v6)
    {
        var packet = Packets.Udp(v6 ? Client6 : Client4, v6 ? Server6 : Server4, 40000, 4500, 500, dontFragment: true);
        var at = (v6 ? Ipv6Packet.HeaderLength : Ipv4Packet.MinHeaderLength) + 6;
        (packet[at], packet[at + 1]) = (0, 0);
        return (new VirtioNetHeader(VirtioNetFlags.DataValid, VirtioGsoType.None, 0, 0, 0, 0), packet);
    }

    [Theory]
    [MemberData(nameof(Loners))]
    public void a_datagram_that_may_not_be_renumbered_or_rechecksummed_is_left_to_go_alone(string what)
    {
        var coalescer = new UdpCoalescer();
        var (header, packet) = what switch
        {
            "DF clear" => Datagram(0, 500, dontFragment: false),
            "IPv4 options" => Offloaded.Partial(Packets.Udp(Client4, Server4, 40000, 4500, 500, dontFragment: true, ipv4Options: [1, 1, 1, 0])),
            "a fragment" => Offloaded.Partial(Packets.Fragments(Packets.Udp(Client4, Server4, 40000, 4500, 3000, dontFragment: false), 1480)[0]),
            "checksum complete and not verified" => (VirtioNetHeader.None, Packets.Udp(Client4, Server4, 40000, 4500, 500, dontFragment: true)),
            "already a USO packet" => Offloaded.Partial(Packets.Udp(Client4, Server4, 40000, 4500, 3000, dontFragment: true), gsoSize: 1000),
            "IPv6 extension header" => Offloaded.Partial(Packets.Udp(Client6, Server6, 40000, 4500, 500, extensionHeaders: [IpProtocol.DestinationOptions])),
            "no payload" => Datagram(0, 0),
            "sent without a checksum" => WithoutChecksum(v6: false),
            "sent without a checksum over IPv6" => WithoutChecksum(v6: true),
            _ => Offloaded.Partial(Packets.Tcp(Client4, Server4, 40000, 443, TcpFlags.Ack, payload: 500, dontFragment: true)),
        };

        Assert.False(coalescer.TryAdd(Device, header, packet));
        Assert.Equal(0, coalescer.Count);
    }

    [Theory]
    [InlineData(100, UdpCoalescer.MaxSegments)]
    [InlineData(1400, 46)]
    public void one_packet_takes_at_most_64_datagrams_and_64_KiB(int size, int fits)
    {
        var coalescer = new UdpCoalescer();
        for (var i = 0; i < fits; i++)
        {
            var (header, packet) = Datagram(i, size);
            Assert.True(coalescer.TryAdd(Device, header, packet), $"datagram {i}");
        }
        var (next, nextPacket) = Datagram(fits, size);

        Assert.False(coalescer.TryAdd(Device, next, nextPacket));

        var frame = coalescer.Take();
        Assert.Equal(VirtioNetHeader.Size + Ipv4Packet.MinHeaderLength + UdpDatagram.HeaderLength + fits * size, frame.Length);
        Assert.True(frame.Length - VirtioNetHeader.Size <= ushort.MaxValue);
    }
}
