using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>A flood of refused packets cannot turn the firewall into a flood of ICMP and resets.</summary>
public class ReplyRateLimitTests
{
    private readonly EngineLab _lab = new(["action=drop proto=udp", "action=reject proto=tcp"],
        options: Options with { ReplyBurst = 5, RepliesPerSecond = 2 });

    private int Answered(int packets, Func<int, byte[]> packet)
    {
        var answered = 0;
        for (var i = 0; i < packets; i++)
        {
            var sent = _lab.FromWork(packet(i));
            Assert.False(sent.Forwarded);
            answered += sent.Outcome.ReplyLength > 0 ? 1 : 0;
        }
        return answered;
    }

    [Fact]
    public void a_burst_of_drops_gets_at_most_the_burst_of_answers_and_more_as_time_passes()
    {
        var burst = Answered(30, i => Packets.Udp(Work4, Remote4, (ushort)(5000 + i), 53, payload: 8));
        _lab.Now += 1000;
        var aSecondLater = Answered(30, i => Packets.Udp(Work4, Remote4, (ushort)(6000 + i), 53, payload: 8));
        _lab.Now += 60_000;
        var aMinuteLater = Answered(30, i => Packets.Udp(Work4, Remote4, (ushort)(7000 + i), 53, payload: 8));

        Assert.Equal(5, burst);
        Assert.Equal(2, aSecondLater);
        Assert.Equal(5, aMinuteLater);
        Assert.Equal(90, _lab.Engine.Drops[(int)DropReason.RuleDrop]);
    }

    [Fact]
    public void resets_share_the_same_budget()
    {
        var udp = Answered(3, i => Packets.Udp(Work4, Remote4, (ushort)(5000 + i), 53, payload: 8));
        var tcp = Answered(10, i => Packets.Tcp(Work4, Remote4, (ushort)(5000 + i), 80, TcpFlags.Syn));

        Assert.Equal(3, udp);
        Assert.Equal(2, tcp);
        Assert.Equal(10, _lab.Engine.Drops[(int)DropReason.RuleReject]);
    }
}
