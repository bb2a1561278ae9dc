using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.WireCheck;

namespace Lethe.PacketPath.Tests.Wire;

/// <summary>
/// An IPv4 packet without DF, too big for the link it leaves by, is cut into fragments the receiver
/// reassembles into exactly the packet that was sent (RFC 791 §3.2).
/// </summary>
public class Ipv4FragmenterTests
{
    private const string Client = "10.137.0.5";
    private const string Remote = "198.51.100.7";

    [Fact]
    public void a_datagram_over_the_mtu_is_cut_into_fragments_of_at_most_the_mtu_with_offsets_mf_and_header_checksums()
    {
        var packet = Packets.Udp(Client, Remote, 40000, 53, payload: 3000, identification: 0xBEEF);

        var fragments = Cut(packet, 1500);

        Assert.Equal([1500, 1500, 68], fragments.Select(f => f.Length));
        Assert.Equal([0, 1480, 2960], fragments.Select(f => Ipv4Packet.Unchecked(f).FragmentOffset));
        Assert.Equal([true, true, false], fragments.Select(f => Ipv4Packet.Unchecked(f).MoreFragments));
        Assert.All(fragments, f =>
        {
            var ip = Ipv4Packet.Unchecked(f);
            Assert.Equal(f.Length, ip.TotalLength);
            Assert.Equal(0xBEEF, ip.Identification);
            Assert.False(ip.DontFragment);
            Assert.True(ip.VerifyHeaderChecksum());
        });
        Assert.Equal(packet, Packets.Reassemble(fragments));
        ChecksumsAreValid(Packets.Reassemble(fragments));
        Assert.Equal(3, fragments.Count);
    }

    [Theory]
    [InlineData(1001, 2001)]
    [InlineData(577, 1001)]
    [InlineData(68, 333)]
    [InlineData(1283, 1271)]
    public void odd_mtus_and_lengths_give_fragments_within_the_mtu_carrying_multiples_of_8_but_for_the_last(int mtu, int payload)
    {
        var packet = Packets.Udp(Client, Remote, 40000, 53, payload: payload);

        var fragments = Cut(packet, mtu);

        Assert.True(fragments.Count > 1);
        Assert.All(fragments, f => Assert.True(f.Length <= mtu, $"a fragment of {f.Length} bytes over an MTU of {mtu}"));
        Assert.All(fragments[..^1], f => Assert.Equal(0, (f.Length - 20) % 8));
        Assert.Equal(packet, Packets.Reassemble(fragments));
    }

    [Fact]
    public void only_options_with_the_copied_flag_reach_the_later_fragments_and_the_first_carries_them_all()
    {
        // Router alert (copied), then record route (not copied) with one empty slot.
        byte[] options = [0x94, 0x04, 0x00, 0x00, 0x07, 0x07, 0x04, 0xC0, 0x00, 0x02, 0x01];
        var packet = Packets.Udp(Client, Remote, 40000, 53, payload: 2000, ipv4Options: options);
        var header = packet[..32];

        var fragments = Cut(packet, 1000);

        Assert.Equal(3, fragments.Count);
        Assert.Equal(header[20..], fragments[0][20..32]);
        byte[] later = [0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00];
        Assert.All(fragments[1..], f =>
        {
            Assert.Equal(8, f[0] & 0x0F);
            Assert.Equal(later, f[20..32]);
            Assert.True(Ipv4Packet.Unchecked(f).VerifyHeaderChecksum());
        });
        Assert.Equal([0, 968, 1936], fragments.Select(f => Ipv4Packet.Unchecked(f).FragmentOffset));
        Assert.Equal(packet, Packets.Reassemble(fragments));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void a_fragment_is_cut_again_with_offsets_from_its_own_and_mf_on_its_last_piece_only_if_it_had_mf(bool moreAfterIt)
    {
        var whole = Packets.Udp(Client, Remote, 40000, 53, payload: moreAfterIt ? 4400 : 2952);
        var first = Packets.Fragment(whole, 0, 1480, identification: 0x4242);
        var middle = Packets.Fragment(whole, 1480, 1480, identification: 0x4242);
        var rest = moreAfterIt ? [Packets.Fragment(whole, 2960, whole.Length - 20 - 2960, identification: 0x4242)] : Array.Empty<byte[]>();
        Assert.Equal(moreAfterIt, Ipv4Packet.Unchecked(middle).MoreFragments);

        var pieces = Cut(middle, 576);

        Assert.Equal([1480, 2032, 2584], pieces.Select(f => Ipv4Packet.Unchecked(f).FragmentOffset));
        Assert.Equal([true, true, moreAfterIt], pieces.Select(f => Ipv4Packet.Unchecked(f).MoreFragments));
        Assert.All(pieces, f => Assert.Equal(0x4242, Ipv4Packet.Unchecked(f).Identification));
        var reassembled = Packets.Reassemble([first, .. pieces, .. rest]);
        Assert.Equal(whole[20..], reassembled[20..]);
    }

    [Fact]
    public void a_packet_that_fits_is_one_piece_equal_to_itself()
    {
        var packet = Packets.Udp(Client, Remote, 40000, 53, payload: 1500 - 28, identification: 7);

        var fragments = Cut(packet, 1500);

        Assert.Equal(packet, Assert.Single(fragments));
    }

    [Fact]
    public void nothing_is_written_for_df_an_mtu_without_room_for_8_bytes_a_misplaced_start_a_short_buffer_or_a_short_packet()
    {
        var packet = Packets.Udp(Client, Remote, 40000, 53, payload: 3000);
        var withDf = Packets.Udp(Client, Remote, 40000, 53, payload: 3000, dontFragment: true);
        var buffer = new byte[2000];

        Assert.Equal(0, Ipv4Fragmenter.Write(withDf, 1500, 0, buffer, out _));
        Assert.Equal(0, Ipv4Fragmenter.Write(packet, 27, 0, buffer, out _));
        Assert.Equal(0, Ipv4Fragmenter.Write(packet, 1500, 4, buffer, out _));
        Assert.Equal(0, Ipv4Fragmenter.Write(packet, 1500, 3008, buffer, out _));
        Assert.Equal(0, Ipv4Fragmenter.Write(packet, 1500, 0, buffer.AsSpan(0, 1499), out _));
        Assert.Equal(0, Ipv4Fragmenter.Write(packet.AsSpan(0, 2000), 1500, 0, buffer, out _));
        Assert.Equal(0, Ipv4Fragmenter.Write(packet.AsSpan(0, 19), 1500, 0, buffer, out _));
        Assert.Equal(0, Ipv4Fragmenter.Write(Packets.Udp("2001:db8::5", "2001:db8:1::7", 40000, 53, payload: 3000), 1500, 0, buffer, out _));
        Assert.Equal(1500, Ipv4Fragmenter.Write(packet, 1500, 0, buffer, out var next));
        Assert.Equal(1480, next);
        Assert.Equal(68, Ipv4Fragmenter.Write(packet, 1500, 2960, buffer, out next));
        Assert.Equal(0, next);
    }

    [Fact]
    public void malformed_options_give_no_fragment()
    {
        // An option whose length runs past the header.
        var packet = Packets.Udp(Client, Remote, 40000, 53, payload: 2000, ipv4Options: [0x07, 0x09, 0x04, 0x00]);
        var buffer = new byte[2000];

        Assert.Equal(0, Ipv4Fragmenter.Write(packet, 1500, 0, buffer, out _));
        Assert.Equal(0, Ipv4Fragmenter.Write(packet, 1500, 1472, buffer, out _));
    }

    private static List<byte[]> Cut(byte[] packet, int mtu)
    {
        var fragments = new List<byte[]>();
        var buffer = new byte[65_536];
        var from = 0;
        do
        {
            var length = Ipv4Fragmenter.Write(packet, mtu, from, buffer, out var next);
            Assert.True(length > 0, $"no fragment from byte {from} of the data");
            fragments.Add(buffer[..length]);
            from = next;
        }
        while (from != 0);
        return fragments;
    }
}
