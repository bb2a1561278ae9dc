using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;
using static Lethe.PacketPath.Tests.Engine.WireCheck;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// Protocols without ports (GRE, non-query ICMP) have nothing NAT can rewrite to tell two clients
/// apart behind one uplink address, so one remote can hold one such flow at a time.
/// </summary>
public class PortlessProtocolTests
{
    private const byte Gre = 47;

    private readonly EngineLab _lab = new(["action=accept"]);

    [Fact]
    public void a_portless_flow_leaves_behind_the_uplink_address_and_its_replies_come_back()
    {
        var sent = _lab.Through(Packets.Ip(Work4, Remote4, Gre, new byte[24]), _lab.Work);

        var back = _lab.FromUplink(Packets.Ip(Remote4, Uplink4, Gre, new byte[24]));

        Assert.Equal(Address(Uplink4), sent.Info.Source);
        Assert.True(back.Forwarded, back.Reason.ToString());
        Assert.Equal((_lab.Work, Address(Work4)), (back.Outcome.Egress, back.Info.Destination));
    }

    [Fact]
    public void a_second_client_cannot_open_the_same_portless_flow_and_so_never_receives_the_first_clients_replies()
    {
        _lab.Through(Packets.Ip(Work4, Remote4, Gre, new byte[24]), _lab.Work);

        var second = _lab.FromPersonal(Packets.Ip(Personal4, Remote4, Gre, new byte[24]));
        var back = _lab.FromUplink(Packets.Ip(Remote4, Uplink4, Gre, new byte[24]));

        Assert.False(second.Forwarded);
        Assert.Equal(DropReason.NatPortsExhausted, second.Reason);
        Assert.Equal(_lab.Work, back.Outcome.Egress);
    }
}
