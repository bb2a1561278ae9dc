using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>A rule with expire=T decides new flows before T and never from T on, however long the firewall runs on one snapshot.</summary>
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
}
