using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>The counters an operator reads: drops per reason, hits per rule, packets and bytes per client.</summary>
public class CounterTests
{
    private readonly EngineLab _lab = new(["action=drop proto=udp dstports=69", "action=accept proto=tcp dstports=443", "action=accept"]);

    [Fact]
    public void each_drop_is_counted_under_its_reason()
    {
        _lab.FromWork(Packets.Udp(Personal4, Remote4, 5000, 53, payload: 8));
        _lab.FromWork(Packets.Udp("10.137.0.99", Remote4, 5000, 53, payload: 8));
        _lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, 5000, payload: 8));
        _lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 69, payload: 8));

        var drops = _lab.Engine.Drops;
        Assert.Equal(2, drops[(int)DropReason.SpoofedClientSource]);
        Assert.Equal(1, drops[(int)DropReason.UnsolicitedFromUplink]);
        Assert.Equal(1, drops[(int)DropReason.RuleDrop]);
        Assert.Equal(4, drops.Sum());
    }

    [Fact]
    public void each_rule_counts_the_new_flows_it_decided_and_not_the_packets_after()
    {
        var natPort = _lab.Through(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn), _lab.Work).Info.SourcePort;
        _lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Syn | TcpFlags.Ack));
        _lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Ack));
        _lab.FromWork(Packets.Tcp(Work4, Remote4, 40001, 443, TcpFlags.Syn));
        _lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 69, payload: 8));
        _lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 53, payload: 8));

        Assert.Equal([1, 2, 1], _lab.Engine.Policy.RuleHits[_lab.Work]);
        Assert.Equal([0L], _lab.Engine.Policy.RuleHits[_lab.Personal]);
    }

    [Fact]
    public void a_client_is_counted_for_the_packets_and_bytes_it_sends_and_receives_but_not_for_drops()
    {
        var syn = Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn, payload: 10);
        var natPort = _lab.Through(syn, _lab.Work).Info.SourcePort;
        var synAck = Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Syn | TcpFlags.Ack, payload: 30);
        _lab.FromUplink(synAck);
        _lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 69, payload: 8));

        Assert.Equal(2, _lab.Engine.Policy.ClientPackets[_lab.Work]);
        Assert.Equal(syn.Length + synAck.Length, _lab.Engine.Policy.ClientBytes[_lab.Work]);
        Assert.Equal(0, _lab.Engine.Policy.ClientPackets[_lab.Personal]);
        Assert.Equal(2, _lab.Engine.ForwardedPackets);
        Assert.Equal(syn.Length + synAck.Length, _lab.Engine.ForwardedBytes);
    }
}
