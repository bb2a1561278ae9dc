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

    // replay: a capture's clock starts where its timestamps do; shifted or anonymised captures start at the epoch.
    [Fact]
    public void a_capture_that_starts_at_the_epoch_gets_its_answers_back_as_time_passes()
    {
        _lab.Now = 0;
        var burst = Answered(30, i => Packets.Udp(Work4, Remote4, (ushort)(5000 + i), 53, payload: 8));
        _lab.Now += 60_000;
        var aMinuteLater = Answered(30, i => Packets.Udp(Work4, Remote4, (ushort)(7000 + i), 53, payload: 8));

        Assert.Equal(5, burst);
        Assert.Equal(5, aMinuteLater);
    }

    [Fact]
    public void a_burst_of_packets_whose_ttl_runs_out_gets_at_most_the_burst_of_time_exceeded_answers()
    {
        // traceroute's first hop, at flood rate: accepted by the rules, it never gets that far.
        var lab = new EngineLab(["action=accept"], options: Options with { ReplyBurst = 5, RepliesPerSecond = 2 });
        var answered = 0;
        for (var i = 0; i < 30; i++)
        {
            var sent = lab.FromWork(Packets.Udp(Work4, Remote4, (ushort)(5000 + i), 33434, payload: 8, ttl: 1));
            Assert.Equal(DropReason.TtlExceeded, sent.Reason);
            answered += sent.Outcome.ReplyLength > 0 ? 1 : 0;
        }

        Assert.Equal(5, answered);
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

    [Fact]
    public void packets_that_draw_no_answer_leave_the_budget_for_those_that_do()
    {
        var lab = new EngineLab(["action=accept"], options: Options with { ReplyBurst = 5, RepliesPerSecond = 2 });
        // No error answers an error: these take nothing from the budget.
        for (var i = 0; i < 25; i++)
        {
            var quote = Packets.Udp(Remote4, Work4, 53, (ushort)(40000 + i), payload: 8);
            var error = lab.FromWork(Packets.IcmpError(Work4, Remote4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort, quote, ttl: 1));
            Assert.Equal(0, error.Outcome.ReplyLength);
        }

        var expiring = lab.FromWork(Packets.Udp(Work4, Remote4, 40000, 53, payload: 8, ttl: 1));

        Assert.Equal(DropReason.TtlExceeded, expiring.Reason);
        Assert.Equal(IcmpV4Message.TimeExceeded, expiring.ReplyInfo.IcmpType);
    }

    [Fact]
    public void one_clients_refused_traffic_does_not_silence_another_clients_resets_and_unreachables()
    {
        // A port scan from personal spends personal's answers; work's refused connections still fail at once instead of hanging through SYN retries.
        var lab = new EngineLab(["action=reject proto=tcp dstports=23-23", "action=drop proto=udp"], personal: ["action=reject proto=tcp"],
            options: Options with { ReplyBurst = 5, RepliesPerSecond = 2 });
        var scanned = 0;
        for (var i = 0; i < 40; i++)
        {
            scanned += lab.FromPersonal(Packets.Tcp(Personal4, Remote4, (ushort)(20000 + i), (ushort)(1 + i), TcpFlags.Syn)).Outcome.ReplyLength > 0 ? 1 : 0;
        }

        var reset = lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 23, TcpFlags.Syn));
        var unreachable = lab.FromWork(Packets.Udp(Work4, Remote4, 40001, 53, payload: 8));

        Assert.Equal(5, scanned);
        Assert.Equal(DropReason.RuleReject, reset.Reason);
        Assert.True(reset.Outcome.ReplyLength > 0, "work's refused connection got no reset");
        Assert.Equal(IcmpV4Message.UnreachableAdministrativelyProhibited, unreachable.ReplyInfo.IcmpCode);
    }

    [Fact]
    public void one_clients_refused_traffic_does_not_silence_another_clients_path_mtu_answers()
    {
        var lab = new EngineLab(["action=accept"], personal: ["action=drop proto=udp"], options: Options with { ReplyBurst = 5, RepliesPerSecond = 2 });
        for (var i = 0; i < 40; i++)
        {
            lab.FromPersonal(Packets.Udp(Personal4, Remote4, (ushort)(20000 + i), 53, payload: 8));
        }

        var big = lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn, payload: 1600, dontFragment: true));
        var big6 = lab.FromWork(Packets.Udp(Work6, Remote6, 40001, 443, payload: 1600));

        Assert.Equal(DropReason.TooBig, big.Reason);
        Assert.Equal(IcmpV4Message.UnreachableFragmentationNeeded, big.ReplyInfo.IcmpCode);
        Assert.Equal(DropReason.TooBig, big6.Reason);
        Assert.Equal(IcmpV6Message.PacketTooBig, big6.ReplyInfo.IcmpType);
    }
}
