using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// A dsthost answer that moves while a flow runs (round-robin and CDN names do) does not cut the
/// flow when another client's rules change or expire; it is judged again, with the answers of the
/// moment, only when its own client's rules change or expire, as the Qubes agent re-applies one
/// qube's rules.
/// </summary>
public class MovedAnswerTests
{
    private const string Moved = "192.0.2.11";
    private const long ExpireAt = 1_800_000_100;
    private static readonly string[] ByName = ["action=accept proto=tcp dsthost=example.com"];

    private static EngineLab LabWithFlowToMovedName(string[] personal, out ushort natPort)
    {
        var lab = new EngineLab(ByName, personal) { Now = ExpireAt * 1000 - 5000 };
        lab.Engine.Policy.Hosts.Set("example.com", [NetAddress.Parse(Remote4)]);
        natPort = lab.Through(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn), lab.Work).Info.SourcePort;
        Assert.True(lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Syn | TcpFlags.Ack)).Forwarded);
        Assert.True(lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Ack)).Forwarded);
        lab.Engine.Policy.Hosts.Set("example.com", [NetAddress.Parse(Moved)]);
        return lab;
    }

    private static ActivePolicy Next(EngineLab lab, string[] work, string[] personal)
    {
        var next = Policy(work, personal, version: 2);
        next.Hosts.CopyFrom(lab.Engine.Policy.Hosts);
        return next;
    }

    private static Sent Data(EngineLab lab) =>
        lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Ack | TcpFlags.Psh, payload: 10));

    [Fact]
    public void a_swap_that_changes_only_another_client_keeps_the_flow()
    {
        var lab = LabWithFlowToMovedName(["action=accept"], out var natPort);

        var cut = lab.Engine.Swap(Next(lab, ByName, ["action=drop proto=icmp", "action=accept"]), lab.Now);

        Assert.Equal(0, cut);
        Assert.True(Data(lab).Forwarded);
        Assert.True(lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Ack, payload: 10)).Forwarded);
    }

    [Fact]
    public void a_new_flow_to_the_old_address_is_refused_all_the_same()
    {
        var lab = LabWithFlowToMovedName(["action=accept"], out _);

        var fresh = lab.FromWork(Packets.Tcp(Work4, Remote4, 40001, 443, TcpFlags.Syn));

        Assert.False(fresh.Forwarded);
        Assert.Equal(DropReason.NoRuleMatched, fresh.Reason);
    }

    [Fact]
    public void a_swap_that_changes_its_own_clients_rules_judges_it_by_the_answer_of_the_moment()
    {
        var lab = LabWithFlowToMovedName(["action=accept"], out _);

        var cut = lab.Engine.Swap(Next(lab, [.. ByName, "action=accept proto=udp"], ["action=accept"]), lab.Now);

        Assert.Equal(1, cut);
        Assert.Equal(DropReason.NoRuleMatched, Data(lab).Reason);
    }

    [Fact]
    public void another_clients_rule_expiring_keeps_the_flow()
    {
        var lab = LabWithFlowToMovedName([$"action=accept proto=udp expire={ExpireAt}", "action=drop"], out _);

        lab.Now = ExpireAt * 1000 + 10;
        var after = Data(lab);

        Assert.True(after.Forwarded);
        Assert.Equal(0, lab.Engine.FlowsCutByExpiry);
    }

    [Fact]
    public void its_own_clients_rule_expiring_judges_it_again()
    {
        var lab = new EngineLab([$"action=accept proto=udp expire={ExpireAt}", .. ByName]) { Now = ExpireAt * 1000 - 5000 };
        lab.Engine.Policy.Hosts.Set("example.com", [NetAddress.Parse(Remote4)]);
        var natPort = lab.Through(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn), lab.Work).Info.SourcePort;
        Assert.True(lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Syn | TcpFlags.Ack)).Forwarded);
        lab.Engine.Policy.Hosts.Set("example.com", [NetAddress.Parse(Moved)]);

        lab.Now = ExpireAt * 1000 + 10;
        var after = Data(lab);

        Assert.Equal(DropReason.NoRuleMatched, after.Reason);
        Assert.Equal(1, lab.Engine.FlowsCutByExpiry);
    }

    [Fact]
    public void a_swap_after_an_expiry_no_packet_has_checked_yet_still_cuts_what_it_allowed()
    {
        string[] expiring = [$"action=accept proto=tcp expire={ExpireAt}"];
        var lab = new EngineLab(expiring) { Now = ExpireAt * 1000 - 5000 };
        var natPort = lab.Through(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn), lab.Work).Info.SourcePort;
        Assert.True(lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Syn | TcpFlags.Ack)).Forwarded);

        lab.Now = ExpireAt * 1000 + 10;
        var cut = lab.Engine.Swap(Policy(expiring, ["action=drop"], version: 2), lab.Now);

        // Ended by its rule's expiry, which the swap checks first, and counted as such.
        Assert.Equal(0, cut);
        Assert.Equal(1, lab.Engine.FlowsCutByExpiry);
        Assert.Equal(DropReason.NoRuleMatched, Data(lab).Reason);
    }

    [Fact]
    public void a_new_connection_on_the_ports_of_a_closed_flow_follows_the_answer_of_the_moment()
    {
        var lab = LabWithFlowToMovedName(["action=accept"], out var natPort);
        Assert.True(lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Ack | TcpFlags.Fin)).Forwarded);
        Assert.True(lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Ack | TcpFlags.Fin)).Forwarded);
        Assert.True(lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Ack)).Forwarded);

        var again = lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn, sequence: 3_000_000_000));

        Assert.False(again.Forwarded);
        Assert.Equal(DropReason.NoRuleMatched, again.Reason);
    }
}
