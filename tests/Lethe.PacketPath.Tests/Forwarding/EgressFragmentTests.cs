using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Tests.Devices;
using Lethe.PacketPath.Tests.Nat;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Forwarding;

/// <summary>
/// A client whose link takes 9,000 bytes sends through an uplink of 1,500 datagrams without DF, as
/// its kernel hands them over: with the checksum left partial, or as one USO super-packet. What
/// leaves by the uplink must be fragments of at most 1,500 bytes that the receiver reassembles into
/// the translated datagrams, their checksums complete.
/// </summary>
public class EgressFragmentTests
{
    private const int UplinkMtu = 1500;

    [LinuxRootFact]
    public void a_datagram_with_a_partial_checksum_leaves_in_fragments_that_reassemble_with_the_checksum_complete()
    {
        using var lab = new OffloadLab("action=accept proto=udp dstports=53-53", clientMtu: 9000);
        var whole = Packets.Udp(OffloadLab.Client, OffloadLab.Target, 40000, 53, payload: 4000, identification: 0x7777);
        var (header, packet) = Offloaded.Partial(whole);

        Assert.True(lab.Inject.Write(0, Offloaded.Frame(header, packet)), "the client namespace's kernel refused the datagram");
        var fragments = FragmentsLeaving(lab.Beyond, 3);

        Assert.Equal([1500, 1500, 1068], fragments.Select(f => f.Length));
        Assert.All(fragments, f => Assert.True(NatPackets.HeaderChecksumVerifies(f) && Ipv4Packet.Unchecked(f).Identification == 0x7777));
        var datagram = Packets.Reassemble(fragments);
        Assert.Equal(NetAddress.Parse(OffloadLab.Uplink), NatPackets.Source(datagram));
        Assert.True(NatPackets.TransportChecksumVerifies(datagram), "the reassembled datagram's UDP checksum does not verify");
        Assert.Equal(whole[28..], datagram[28..]);
        Assert.Equal(1, lab.Dataplane.Workers[0].Counters.Fragmented);
    }

    [LinuxRootFact]
    public void a_uso_super_packet_whose_datagrams_exceed_the_mtu_is_split_and_each_datagram_cut_into_fragments()
    {
        using var lab = new OffloadLab("action=accept proto=udp dstports=53-53", clientMtu: 9000);
        var whole = Packets.Udp(OffloadLab.Client, OffloadLab.Target, 40000, 53, payload: 3 * 2000, identification: 0x1000);
        var (header, packet) = Offloaded.Partial(whole, gsoSize: 2000);

        Assert.True(lab.Inject.Write(0, Offloaded.Frame(header, packet)), "the client namespace's kernel refused the super-packet");
        var fragments = FragmentsLeaving(lab.Beyond, 6);

        Assert.All(fragments, f => Assert.True(f.Length <= UplinkMtu && NatPackets.HeaderChecksumVerifies(f)));
        var datagrams = fragments.GroupBy(f => Ipv4Packet.Unchecked(f).Identification).OrderBy(g => g.Key).Select(g => Packets.Reassemble(g)).ToArray();
        Assert.Equal(3, datagrams.Length);
        Assert.All(datagrams, d => Assert.True(NatPackets.TransportChecksumVerifies(d), "a reassembled datagram's UDP checksum does not verify"));
        Assert.Equal(whole[28..], datagrams.SelectMany(d => d[28..]).ToArray());
        // Once, as one super-packet: the kernel did not segment it before the firewall.
        Assert.Equal(1, lab.Dataplane.Workers[0].Counters.Fragmented);
    }

    /// <summary>The first <paramref name="count"/> fragments to the target that leave behind the uplink host, within 5 s.</summary>
    private static List<byte[]> FragmentsLeaving(TunDevice beyond, int count)
    {
        var fragments = new List<byte[]>();
        var buffer = new byte[beyond.MaxReadLength];
        var deadline = Environment.TickCount64 + 5000;
        while (fragments.Count < count && Environment.TickCount64 < deadline)
        {
            var length = beyond.TryRead(0, buffer);
            if (length <= 0)
            {
                Thread.Sleep(5);
                continue;
            }
            if (PacketParser.TryParse(buffer.AsSpan(0, length), out var info, out _) && info.IsFragment
                && info.Destination == NetAddress.Parse(OffloadLab.Target))
            {
                fragments.Add(buffer[..length]);
            }
        }
        Assert.True(fragments.Count == count, $"{fragments.Count} fragments to {OffloadLab.Target} left within 5 s, expected {count}");
        return fragments;
    }
}
