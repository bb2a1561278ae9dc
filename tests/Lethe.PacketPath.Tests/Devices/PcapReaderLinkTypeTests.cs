using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>
/// The link types `tcpdump` writes besides RAW and ETHERNET: Linux cooked v1 and v2 (`-i any`),
/// raw IPv4/IPv6 and BSD loopback. Each frame's IP packet is found behind its link header; another
/// protocol is located but has no IP length, and a frame shorter than its link header is cut short.
/// </summary>
public class PcapReaderLinkTypeTests
{
    private static readonly byte[] Syn = Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443);
    private static readonly byte[] Syn6 = Packets.Tcp("fd09:24ef:4179::a89:5", "2001:db8::10", 40000, 443);

    private static (int Offset, int Length)[] ReadAll(byte[] file)
    {
        var reader = new PcapReader(new MemoryStream(file));
        var buffer = new byte[70_000];
        var found = new List<(int, int)>();
        while (reader.TryRead(buffer, out _, out _, out var offset, out var length))
        {
            found.Add((offset, length));
        }
        return [.. found];
    }

    [Fact]
    public void a_linux_cooked_v2_capture_as_tcpdump_i_any_writes_it_yields_the_ip_packets_behind_the_20_byte_header()
    {
        var file = LinkTypeCapture.Of(276,
            LinkTypeCapture.Sll2(0x0800, Syn),
            LinkTypeCapture.Sll2(0x86DD, Syn6, packetType: 4));

        Assert.Equal([(20, Syn.Length), (20, Syn6.Length)], ReadAll(file));
    }

    [Fact]
    public void a_linux_cooked_v1_capture_yields_the_ip_packets_behind_the_16_byte_header()
    {
        var file = LinkTypeCapture.Of(113,
            LinkTypeCapture.Sll(0x0800, Syn),
            LinkTypeCapture.Sll(0x86DD, Syn6, packetType: 4));

        Assert.Equal([(16, Syn.Length), (16, Syn6.Length)], ReadAll(file));
    }

    [Fact]
    public void arp_in_a_cooked_capture_is_another_protocol_and_a_frame_shorter_than_the_cooked_header_is_cut_short()
    {
        var arp = new byte[28];
        var file = LinkTypeCapture.Of(276,
            LinkTypeCapture.Sll2(0x0806, arp),
            LinkTypeCapture.Sll2(0x0800, Syn)[..19],
            LinkTypeCapture.Sll2(0x0806, arp)[..12],
            LinkTypeCapture.Sll2(0x0800, Syn)[..20]);

        // A non-zero offset with no length is another protocol; offset 0 with none is cut short.
        Assert.Equal([(20, 0), (0, 0), (0, 0), (0, 0)], ReadAll(file));
    }

    [Fact]
    public void a_vlan_tag_the_kernel_put_back_into_a_cooked_frame_is_stepped_over()
    {
        byte[] tag = [0x00, 0x05, 0x08, 0x00];
        var file = LinkTypeCapture.Of(276, LinkTypeCapture.Sll2(0x8100, [.. tag, .. Syn]));

        Assert.Equal([(24, Syn.Length)], ReadAll(file));
    }

    [Theory]
    [InlineData(228u)] // LINKTYPE_IPV4
    [InlineData(229u)] // LINKTYPE_IPV6
    public void raw_ipv4_and_ipv6_link_types_hold_the_ip_packet_from_the_first_byte(uint linkType)
    {
        Assert.Equal([(0, Syn.Length)], ReadAll(LinkTypeCapture.Of(linkType, Syn)));
    }

    [Fact]
    public void bsd_loopback_frames_give_the_address_family_in_either_byte_order_and_are_read_behind_it()
    {
        byte[] inet = [2, 0, 0, 0];
        byte[] inet6Linux = [10, 0, 0, 0];
        byte[] inet6Mac = [30, 0, 0, 0];
        byte[] loopInet = [0, 0, 0, 2];
        byte[] other = [7, 0, 0, 0];
        var nullFile = LinkTypeCapture.Of(0, [.. inet, .. Syn], [.. inet6Linux, .. Syn6], [.. inet6Mac, .. Syn6], [.. other, .. Syn], [2, 0, 0]);
        var loopFile = LinkTypeCapture.Of(108, [.. loopInet, .. Syn]);

        Assert.Equal([(4, Syn.Length), (4, Syn6.Length), (4, Syn6.Length), (4, 0), (0, 0)], ReadAll(nullFile));
        Assert.Equal([(4, Syn.Length)], ReadAll(loopFile));
    }

    [Fact]
    public void a_link_type_still_not_read_is_refused_naming_every_one_that_is()
    {
        var error = Assert.Throws<InvalidDataException>(() => new PcapReader(new MemoryStream(LinkTypeCapture.Of(105))));

        Assert.Equal("pcap link type 105 is not supported (ETHERNET 1, RAW 101, LINUX_SLL 113 and LINUX_SLL2 276 from `tcpdump -i any`, "
            + "IPV4 228, IPV6 229, NULL 0 and LOOP 108 are)", error.Message);
    }
}
