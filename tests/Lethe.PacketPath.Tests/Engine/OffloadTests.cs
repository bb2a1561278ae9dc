using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tests.Wire;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>A segmentation-offload super-packet is decided and translated once; the MTU applies to the segments it will become.</summary>
public class OffloadTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    private PacketOutcome Send(byte[] packet, Offload offload) =>
        _lab.Engine.Process(packet, packet.Length, _lab.Work, _lab.Now, new byte[2048], offload);

    [Fact]
    public void a_64_kib_super_packet_whose_segments_fit_the_mtu_is_forwarded_whole_and_translated()
    {
        var super = Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn, payload: 1448 * 44, dontFragment: true);

        var outcome = Send(super, new Offload(PartialChecksum: true, SegmentPayload: 1448));

        Assert.True(outcome.Forwarded, outcome.Reason.ToString());
        Assert.Equal(super.Length, outcome.Length);
        Assert.Equal(NetAddress.Parse(Uplink4), Packets.Parse(super).Source);
    }

    [Fact]
    public void a_super_packet_whose_segments_exceed_the_mtu_is_refused_with_the_mtu_in_the_answer()
    {
        var super = Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn, payload: 9000 * 4, dontFragment: true);

        var outcome = Send(super, new Offload(PartialChecksum: true, SegmentPayload: 9000));

        Assert.False(outcome.Forwarded);
        Assert.Equal(DropReason.TooBig, outcome.Reason);
        Assert.True(outcome.ReplyLength > 0, "the client is told the MTU");
    }

    [Fact]
    public void the_same_packet_without_offload_is_too_big()
    {
        var super = Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn, payload: 1448 * 44, dontFragment: true);

        Assert.Equal(DropReason.TooBig, Send(super, Offload.None).Reason);
    }
}
