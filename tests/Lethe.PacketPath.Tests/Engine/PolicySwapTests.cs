using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;
using static Lethe.PacketPath.Tests.Engine.WireCheck;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>After a new snapshot is swapped in, flows it no longer allows are cut in both directions and the rest carry on.</summary>
public class PolicySwapTests
{
    private static readonly string[] WebAndUdp = ["action=accept proto=tcp dstports=443", "action=accept proto=udp"];
    private static readonly string[] UdpOnly = ["action=accept proto=udp"];

    private readonly EngineLab _lab = new(WebAndUdp);

    private ushort OpenTcp(EngineLab lab, string client = Work4, ushort port = 40000)
    {
        var ingress = client == Work4 ? lab.Work : lab.Personal;
        var natPort = lab.Through(Packets.Tcp(client, Remote4, port, 443, TcpFlags.Syn), ingress).Info.SourcePort;
        Assert.True(lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Syn | TcpFlags.Ack)).Forwarded);
        lab.Through(Packets.Tcp(client, Remote4, port, 443, TcpFlags.Ack), ingress);
        return natPort;
    }

    private ushort OpenUdp(EngineLab lab, string client = Work4)
    {
        var ingress = client == Work4 ? lab.Work : lab.Personal;
        var natPort = lab.Through(Packets.Udp(client, Remote4, 5353, 53, payload: 8), ingress).Info.SourcePort;
        Assert.True(lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8)).Forwarded);
        return natPort;
    }

    [Fact]
    public void a_flow_the_new_policy_no_longer_allows_is_cut_in_both_directions()
    {
        var natPort = OpenTcp(_lab);

        var cut = _lab.Engine.Swap(Policy(UdpOnly, ["action=accept"], version: 2), _lab.Now);
        var fromClient = _lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Ack | TcpFlags.Psh, payload: 10));
        var fromRemote = _lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Ack, payload: 10));

        Assert.Equal(1, cut);
        Assert.False(fromClient.Forwarded);
        Assert.Equal(DropReason.NoRuleMatched, fromClient.Reason);
        Assert.False(fromRemote.Forwarded);
        Assert.Equal(DropReason.UnsolicitedFromUplink, fromRemote.Reason);
    }

    [Fact]
    public void a_cut_flow_gives_its_nat_port_back()
    {
        var natPort = OpenTcp(_lab);

        _lab.Engine.Swap(Policy(UdpOnly, ["action=accept"], version: 2), _lab.Now);

        var replyKey = PortAllocator.ReplyKey(IpProtocol.Tcp, Address(Uplink4), Address(Remote4), 443, natPort);
        Assert.False(_lab.Engine.Connections.Lookup(replyKey, _lab.Now, out _, out _));
        Assert.Equal(0, _lab.Engine.Connections.Count);
    }

    [Fact]
    public void flows_the_new_policy_still_allows_keep_working_with_the_same_nat_port()
    {
        OpenTcp(_lab);
        var natPort = OpenUdp(_lab);

        _lab.Engine.Swap(Policy(UdpOnly, ["action=accept"], version: 2), _lab.Now);
        var fromClient = _lab.FromWork(Packets.Udp(Work4, Remote4, 5353, 53, payload: 8));
        var fromRemote = _lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8));

        Assert.True(fromClient.Forwarded);
        Assert.False(fromClient.Outcome.NewFlow);
        Assert.Equal(natPort, fromClient.Info.SourcePort);
        Assert.True(fromRemote.Forwarded);
        Assert.Equal(Address(Work4), fromRemote.Info.Destination);
        Assert.Equal(2, _lab.Engine.Policy.Version);
    }

    [Fact]
    public void after_clients_are_reordered_replies_still_reach_the_client_that_opened_the_flow()
    {
        var workPort = OpenUdp(_lab, Work4);
        var personalPort = OpenUdp(_lab, Personal4);

        var cut = _lab.Engine.Swap(Policy(WebAndUdp, ["action=accept"], version: 2, personalFirst: true), _lab.Now);
        var toWork = _lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, workPort, payload: 8));
        var toPersonal = _lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, personalPort, payload: 8));

        Assert.Equal(0, cut);
        Assert.Equal(1, _lab.Work);
        Assert.Equal((_lab.Work, Address(Work4)), (toWork.Outcome.Egress, toWork.Info.Destination));
        Assert.Equal((_lab.Personal, Address(Personal4)), (toPersonal.Outcome.Egress, toPersonal.Info.Destination));
        Assert.Equal(workPort, _lab.Through(Packets.Udp(Work4, Remote4, 5353, 53, payload: 8), _lab.Work).Info.SourcePort);
    }

    [Fact]
    public void flows_survive_the_clients_being_reordered_twice()
    {
        var workPort = OpenUdp(_lab, Work4);
        var personalPort = OpenUdp(_lab, Personal4);

        var first = _lab.Engine.Swap(Policy(WebAndUdp, ["action=accept"], version: 2, personalFirst: true), _lab.Now);
        var second = _lab.Engine.Swap(Policy(WebAndUdp, ["action=accept"], version: 3), _lab.Now);

        Assert.Equal((0, 0), (first, second));
        Assert.Equal(_lab.Work, _lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, workPort, payload: 8)).Outcome.Egress);
        Assert.Equal(_lab.Personal, _lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, personalPort, payload: 8)).Outcome.Egress);
    }

    [Fact]
    public void flows_of_an_address_that_now_belongs_to_another_client_are_cut()
    {
        var natPort = OpenUdp(_lab, Work4);
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
            [new SnapshotClient("guest", [Work4], [new SnapshotRule("guest-0", "action=accept")])]);
        var compiled = CompiledPolicy.Compile(content, []);

        var cut = _lab.Engine.Swap(new ActivePolicy(compiled, 2, compiled.CreateHostTable()), _lab.Now);

        Assert.Equal(1, cut);
        Assert.Equal(DropReason.UnsolicitedFromUplink, _lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8)).Reason);
    }

    [Fact]
    public void a_flow_to_another_client_is_cut_when_the_rule_naming_it_goes()
    {
        var lab = new EngineLab(["action=accept dst4=10.137.0.6"]);
        lab.Through(Packets.Tcp(Work4, Personal4, 40000, 80, TcpFlags.Syn), lab.Work);

        var cut = lab.Engine.Swap(Policy(["action=accept"], ["action=accept"], version: 2), lab.Now);
        var reply = lab.FromPersonal(Packets.Tcp(Personal4, Work4, 80, 40000, TcpFlags.Ack));
        var again = lab.FromWork(Packets.Tcp(Work4, Personal4, 40000, 80, TcpFlags.Ack));

        Assert.Equal(1, cut);
        Assert.Equal(DropReason.ClientIsolated, reply.Reason);
        Assert.Equal(DropReason.ClientIsolated, again.Reason);
    }

    [Fact]
    public void a_new_flow_after_the_swap_is_judged_by_the_new_policy()
    {
        _lab.Engine.Swap(Policy(["action=drop proto=udp", "action=accept"], ["action=accept"], version: 2), _lab.Now);

        var sent = _lab.FromWork(Packets.Udp(Work4, Remote4, 5353, 53, payload: 8));

        Assert.Equal(DropReason.RuleDrop, sent.Reason);
        Assert.Equal(1, _lab.Engine.Policy.RuleHits[_lab.Work][0]);
    }

    [Fact]
    public void a_flow_to_a_client_the_new_policy_no_longer_has_is_cut_not_sent_out_untranslated()
    {
        var lab = new EngineLab(["action=accept dst4=10.137.0.6", "action=accept"], personal: ["action=accept"]);
        lab.Through(Packets.Udp(Work4, Personal4, 40000, 53, payload: 8), lab.Work);

        var cut = lab.Engine.Swap(WorkOnly(["action=accept"], version: 2), lab.Now);
        var after = lab.FromWork(Packets.Udp(Work4, Personal4, 40000, 53, payload: 8));

        Assert.Equal(1, cut);
        Assert.True(after.Forwarded, after.Reason.ToString());
        Assert.True(after.Outcome.NewFlow);
        Assert.Equal(Address(Uplink4), after.Info.Source);
    }

    [Fact]
    public void a_swap_does_not_count_flows_that_had_already_timed_out_as_cut()
    {
        var lab = new EngineLab(["action=accept proto=udp"]);
        for (ushort port = 5000; port < 5008; port++)
        {
            lab.Through(Packets.Udp(Work4, Remote4, port, 53, payload: 8), lab.Work);
        }
        lab.Now += 100_000;

        Assert.Equal(0, lab.Engine.Swap(Policy(["action=drop"], ["action=accept"], version: 2), lab.Now));
        Assert.Equal(0, lab.Engine.Connections.Count);
    }
}
