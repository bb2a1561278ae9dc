using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tests.Dns;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// A clock that goes back across an expiry after its flows were cut makes the rule match again; the
/// flows it then opens are cut when the clock passes the expiry once more.
/// </summary>
public class RuleExpiryClockStepTests
{
    [Fact]
    public void a_flow_opened_after_a_short_step_back_is_still_cut_when_the_rule_expires_again()
    {
        var clock = new ManualTimeProvider();
        var expireAt = clock.GetUtcNow().ToUnixTimeSeconds() + 10;
        var lab = new EngineLab([$"action=accept proto=udp expire={expireAt}"], options: Options with { WallClock = clock }) { Now = 5_000 };
        var first = lab.Through(Packets.Udp(Work4, Remote4, 5000, 53, payload: 8), lab.Work).Info.SourcePort;
        lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, first, payload: 8));

        clock.Advance(TimeSpan.FromSeconds(11));
        lab.Now += 11_000;
        Assert.Equal(DropReason.UnsolicitedFromUplink, lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, first, payload: 8)).Reason);
        Assert.Equal(1, lab.Engine.FlowsCutByExpiry);

        // NTP steps the clock back 30 s: the rule matches again and the client reconnects.
        clock.Advance(TimeSpan.FromSeconds(-30));
        lab.Now += 1_000;
        var again = lab.Through(Packets.Udp(Work4, Remote4, 5001, 53, payload: 8), lab.Work).Info.SourcePort;
        lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, again, payload: 8));
        for (var s = 0; s < 180; s += 10)
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            lab.Now += 10_000;
            lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, again, payload: 8));
        }

        var late = lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, again, payload: 8));
        Assert.Equal(DropReason.UnsolicitedFromUplink, late.Reason);
        Assert.Equal(2, lab.Engine.FlowsCutByExpiry);
    }

    /// <summary>As a replay judges a capture whose timestamps are a few ms out of order around the expiry.</summary>
    [Fact]
    public void a_flow_opened_by_a_packet_stamped_just_before_the_expiry_after_one_just_past_it_is_cut()
    {
        const long expireAt = 1_800_000_100;
        var lab = new EngineLab([$"action=accept proto=udp expire={expireAt}"]) { Now = expireAt * 1000 + 1 };
        Assert.Equal(DropReason.NoRuleMatched, lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 53, payload: 8)).Reason);

        lab.Now = expireAt * 1000 - 2;
        var natPort = lab.Through(Packets.Udp(Work4, Remote4, 5001, 53, payload: 8), lab.Work).Info.SourcePort;
        lab.Now = expireAt * 1000 + 10_000;
        var tenSecondsPast = lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8));

        Assert.Equal(DropReason.UnsolicitedFromUplink, tenSecondsPast.Reason);
    }
}
