using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tests.Dns;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// A rule with expire=T decides new flows before T and never from T on, however long the firewall
/// runs on one snapshot; from T on, the flows it allowed are cut unless another rule allows them.
/// </summary>
public class RuleExpiryTests
{
    private const long ExpireAt = 1_800_000_100;

    private readonly EngineLab _lab = new([$"action=accept proto=tcp expire={ExpireAt}"]);

    private Sent NewFlowAt(long nowMs, ushort port)
    {
        _lab.Now = nowMs;
        return _lab.FromWork(Packets.Tcp(Work4, Remote4, port, 443, TcpFlags.Syn));
    }

    [Fact]
    public void the_rule_accepts_up_to_the_last_millisecond_before_it_expires()
    {
        var sent = NewFlowAt(ExpireAt * 1000 - 1, 40000);

        Assert.True(sent.Forwarded);
        Assert.Equal(0, sent.Outcome.RuleIndex);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(30L * 24 * 3600 * 1000)]
    public void the_rule_no_longer_matches_at_or_after_its_expiry(long afterMs)
    {
        var sent = NewFlowAt(ExpireAt * 1000 + afterMs, 40001);

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.NoRuleMatched, sent.Reason);
        Assert.Equal(-1, sent.Outcome.RuleIndex);
    }

    [Fact]
    public void an_expired_drop_rule_lets_the_next_rule_decide()
    {
        var lab = new EngineLab([$"action=drop proto=udp expire={ExpireAt}", "action=accept"]);

        lab.Now = ExpireAt * 1000 - 1000;
        var before = lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 53, payload: 8));
        lab.Now = ExpireAt * 1000;
        var after = lab.FromWork(Packets.Udp(Work4, Remote4, 5001, 53, payload: 8));

        Assert.Equal(DropReason.RuleDrop, before.Reason);
        Assert.True(after.Forwarded);
        Assert.Equal(1, after.Outcome.RuleIndex);
    }
    private ushort OpenTcp(EngineLab lab, ushort port)
    {
        var natPort = lab.Through(Packets.Tcp(Work4, Remote4, port, 443, TcpFlags.Syn), lab.Work).Info.SourcePort;
        Assert.True(lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Syn | TcpFlags.Ack)).Forwarded);
        Assert.True(lab.FromWork(Packets.Tcp(Work4, Remote4, port, 443, TcpFlags.Ack)).Forwarded);
        return natPort;
    }

    [Fact]
    public void a_flow_the_rule_allowed_is_cut_in_both_directions_when_it_expires()
    {
        _lab.Now = ExpireAt * 1000 - 5000;
        var natPort = OpenTcp(_lab, 40002);
        _lab.Now = ExpireAt * 1000 - 1;
        var lastBefore = _lab.FromWork(Packets.Tcp(Work4, Remote4, 40002, 443, TcpFlags.Ack | TcpFlags.Psh, payload: 10));

        _lab.Now = ExpireAt * 1000;
        var fromRemote = _lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Ack, payload: 10));
        var fromClient = _lab.FromWork(Packets.Tcp(Work4, Remote4, 40002, 443, TcpFlags.Ack | TcpFlags.Psh, payload: 10));

        Assert.True(lastBefore.Forwarded);
        Assert.Equal(DropReason.UnsolicitedFromUplink, fromRemote.Reason);
        Assert.Equal(DropReason.NoRuleMatched, fromClient.Reason);
        Assert.Equal(1, _lab.Engine.FlowsCutByExpiry);
        Assert.Equal(0, _lab.Engine.Connections.Count);
    }

    [Fact]
    public void a_flow_another_rule_still_allows_outlives_the_expired_rule()
    {
        var lab = new EngineLab([$"action=accept proto=tcp dstports=443 expire={ExpireAt}", "action=accept proto=tcp dstports=400-500"]);
        lab.Now = ExpireAt * 1000 - 5000;
        var natPort = OpenTcp(lab, 40003);

        lab.Now = ExpireAt * 1000 + 1000;
        var fromClient = lab.FromWork(Packets.Tcp(Work4, Remote4, 40003, 443, TcpFlags.Ack | TcpFlags.Psh, payload: 10));
        var fromRemote = lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Ack, payload: 10));

        Assert.True(fromClient.Forwarded);
        Assert.False(fromClient.Outcome.NewFlow);
        Assert.True(fromRemote.Forwarded);
        Assert.Equal(0, lab.Engine.FlowsCutByExpiry);
    }

    /// <summary>
    /// The live firewall passes milliseconds since boot, which are far from UNIX time: the rule must
    /// still expire by the wall clock, and the flows it allowed with it.
    /// </summary>
    [Fact]
    public void with_a_wall_clock_the_rule_expires_by_it_while_packets_carry_time_since_boot()
    {
        var clock = new ManualTimeProvider();
        var expireAt = clock.GetUtcNow().ToUnixTimeSeconds() + 10;
        var lab = new EngineLab([$"action=accept proto=tcp expire={expireAt}"], options: Options with { WallClock = clock }) { Now = 5_000 };
        var natPort = OpenTcp(lab, 40004);

        clock.Advance(TimeSpan.FromSeconds(10));
        lab.Now += 10_000;
        var fromRemote = lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Ack, payload: 10));
        var newFlow = lab.FromWork(Packets.Tcp(Work4, Remote4, 40005, 443, TcpFlags.Syn));

        Assert.Equal(DropReason.UnsolicitedFromUplink, fromRemote.Reason);
        Assert.Equal(DropReason.NoRuleMatched, newFlow.Reason);
        Assert.Equal(1, lab.Engine.FlowsCutByExpiry);
    }

    // The live worker sweeps once a second while no packet comes: the flow goes, and is counted, when the rule expires.
    [Fact]
    public void a_rule_that_expires_while_no_packet_comes_has_its_flows_cut_by_the_sweep_after()
    {
        var clock = new ManualTimeProvider();
        var expireAt = clock.GetUtcNow().ToUnixTimeSeconds() + 10;
        var lab = new EngineLab([$"action=accept proto=tcp expire={expireAt}"], options: Options with { WallClock = clock }) { Now = 5_000 };
        var natPort = OpenTcp(lab, 40006);

        clock.Advance(TimeSpan.FromMilliseconds(9_999));
        lab.Engine.Sweep(lab.Now + 9_999);
        var before = (lab.Engine.FlowsCutByExpiry, lab.Engine.Connections.Count);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        lab.Engine.Sweep(lab.Now + 10_000);

        Assert.Equal((0, 1), before);
        Assert.Equal(1, lab.Engine.FlowsCutByExpiry);
        Assert.Equal(0, lab.Engine.Connections.Count);
        lab.Now += 10_000;
        Assert.Equal(DropReason.UnsolicitedFromUplink, lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Ack, payload: 10)).Reason);
    }

    [Fact]
    public void a_wall_clock_stepped_past_the_expiry_ends_the_flow_within_a_minute()
    {
        var clock = new ManualTimeProvider();
        var expireAt = clock.GetUtcNow().ToUnixTimeSeconds() + 3600;
        var lab = new EngineLab([$"action=accept proto=udp expire={expireAt}"], options: Options with { WallClock = clock }) { Now = 5_000 };
        var natPort = lab.Through(Packets.Udp(Work4, Remote4, 5353, 53, payload: 8), lab.Work).Info.SourcePort;
        // A stream (two minutes idle), so that a minute without packets ends it only by the expiry.
        lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8));
        lab.Now += 2_000;
        lab.Through(Packets.Udp(Work4, Remote4, 5353, 53, payload: 8), lab.Work);

        clock.Advance(TimeSpan.FromHours(2));
        lab.Now += 1_000;
        // Keeps the flow fresh, so only the expiry can end it.
        lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8));
        lab.Now += 60_000;
        var aMinuteLater = lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8));

        Assert.Equal(DropReason.UnsolicitedFromUplink, aMinuteLater.Reason);
        Assert.Equal(1, lab.Engine.FlowsCutByExpiry);
    }

    [Fact]
    public void a_swap_to_a_policy_with_an_earlier_expiry_cuts_at_that_one()
    {
        _lab.Now = ExpireAt * 1000 - 60_000;
        OpenTcp(_lab, 40006);
        _lab.Engine.Swap(Policy([$"action=accept proto=tcp expire={ExpireAt - 30}"], ["action=accept"], version: 2), _lab.Now);

        _lab.Now = (ExpireAt - 30) * 1000;
        var fromClient = _lab.FromWork(Packets.Tcp(Work4, Remote4, 40006, 443, TcpFlags.Ack | TcpFlags.Psh, payload: 10));

        Assert.Equal(DropReason.NoRuleMatched, fromClient.Reason);
        Assert.Equal(1, _lab.Engine.FlowsCutByExpiry);
    }

    [Fact]
    public void a_rule_matching_again_after_the_wall_clock_stepped_back_still_cuts_its_flows_when_it_expires()
    {
        var clock = new ManualTimeProvider();
        var expireAt = clock.GetUtcNow().ToUnixTimeSeconds();
        // Booted with the clock a day ahead: the rule has expired.
        clock.Advance(TimeSpan.FromDays(1));
        var lab = new EngineLab([$"action=accept proto=udp expire={expireAt}"], options: Options with { WallClock = clock }) { Now = 5_000 };
        Assert.Equal(DropReason.NoRuleMatched, lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 53, payload: 8)).Reason);

        // NTP steps it back an hour before the expiry: the rule matches again and opens a flow.
        clock.Advance(TimeSpan.FromDays(-1) - TimeSpan.FromHours(1));
        lab.Now += 1_000;
        var natPort = lab.Through(Packets.Udp(Work4, Remote4, 5001, 53, payload: 8), lab.Work).Info.SourcePort;
        lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8));
        for (var s = 0; s < 7200; s += 10)
        {
            // Kept busy, so only the expiry can end it.
            clock.Advance(TimeSpan.FromSeconds(10));
            lab.Now += 10_000;
            lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8));
        }

        Assert.False(lab.FromWork(Packets.Udp(Work4, Remote4, 5001, 53, payload: 8)).Forwarded);
        Assert.Equal(1, lab.Engine.FlowsCutByExpiry);
    }

    [Fact]
    public void flows_that_timed_out_before_their_rule_expired_are_not_counted_as_cut_by_it()
    {
        var lab = new EngineLab([$"action=accept proto=udp expire={ExpireAt}"]) { Now = ExpireAt * 1000 - 100_000 };
        for (ushort port = 5000; port < 5008; port++)
        {
            lab.Through(Packets.Udp(Work4, Remote4, port, 53, payload: 8), lab.Work);
        }
        // Unanswered UDP times out after 30 s, long before the expiry; a packet at it finds them.
        lab.Now = ExpireAt * 1000 + 10;
        lab.FromPersonal(Packets.Udp(Personal4, Remote4, 6000, 53, payload: 8));

        Assert.Equal(0, lab.Engine.FlowsCutByExpiry);
    }
}
