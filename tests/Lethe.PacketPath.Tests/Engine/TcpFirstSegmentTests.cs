using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// A TCP segment of no tracked flow opens one only if it is a SYN without ACK, or an ACK without
/// SYN, FIN or RST (a flow picked up in the middle after a restart). Scan probes (no flags, a bare
/// FIN, "Xmas") and the tail of a flow already gone are dropped before the rules, as the kernel's
/// ruleset drops conntrack's invalid state: they take no place in the table and no rule counts them.
/// </summary>
public class TcpFirstSegmentTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    [Theory]
    [InlineData(TcpFlags.None)]
    [InlineData(TcpFlags.Fin)]
    [InlineData(TcpFlags.Fin | TcpFlags.Ack)]
    [InlineData(TcpFlags.Fin | TcpFlags.Psh | TcpFlags.Urg)]
    [InlineData(TcpFlags.Rst)]
    [InlineData(TcpFlags.Rst | TcpFlags.Ack)]
    [InlineData(TcpFlags.Syn | TcpFlags.Ack)]
    [InlineData(TcpFlags.Syn | TcpFlags.Fin)]
    [InlineData(TcpFlags.Syn | TcpFlags.Rst)]
    public void a_segment_that_cannot_start_a_flow_opens_none(TcpFlags flags)
    {
        var sent = _lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 443, flags));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.TcpCannotOpen, sent.Reason);
        Assert.Empty(sent.Reply);
        Assert.Equal(0, _lab.Engine.Connections.Count);
        Assert.Equal(0, _lab.Engine.Policy.RuleHits[_lab.Work][0]);
    }

    [Theory]
    [InlineData(TcpFlags.Syn)]
    [InlineData(TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr)]
    [InlineData(TcpFlags.Ack)]
    [InlineData(TcpFlags.Ack | TcpFlags.Psh)]
    public void a_syn_or_a_picked_up_ack_opens_a_flow(TcpFlags flags)
    {
        var sent = _lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 443, flags, payload: flags.HasFlag(TcpFlags.Psh) ? 100 : 0));

        Assert.True(sent.Forwarded, sent.Reason.ToString());
        Assert.Equal(1, _lab.Engine.Connections.Count);
        Assert.Equal(1, _lab.Engine.Policy.RuleHits[_lab.Work][0]);
    }

    [Fact]
    public void a_fin_of_a_tracked_flow_still_passes()
    {
        var natPort = _lab.Through(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn, sequence: 100), _lab.Work).Info.SourcePort;
        _lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Syn | TcpFlags.Ack, sequence: 900, acknowledgement: 101));
        _lab.Through(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Ack, sequence: 101, acknowledgement: 901), _lab.Work);

        var fin = _lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Fin | TcpFlags.Ack, sequence: 101, acknowledgement: 901));

        Assert.True(fin.Forwarded, fin.Reason.ToString());
    }
}
