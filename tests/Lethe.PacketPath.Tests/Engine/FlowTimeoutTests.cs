using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>Idle flows are forgotten after Linux's timeouts, and a late reply to a forgotten flow is refused.</summary>
public class FlowTimeoutTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    private Sent ReplyAfter(long idleMs, byte[] packet)
    {
        _lab.Now += idleMs;
        return _lab.FromUplink(packet);
    }

    [Fact]
    public void an_unanswered_udp_flow_is_forgotten_after_thirty_seconds()
    {
        var natPort = _lab.Through(Packets.Udp(Work4, Remote4, 5353, 53, payload: 8), _lab.Work).Info.SourcePort;

        var late = ReplyAfter(30_000, Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8));

        Assert.Equal(DropReason.UnsolicitedFromUplink, late.Reason);
        Assert.Equal(0, _lab.Engine.Connections.Count);
    }

    [Fact]
    public void a_lookup_answered_once_is_forgotten_after_30_seconds()
    {
        var natPort = _lab.Through(Packets.Udp(Work4, Remote4, 5353, 53, payload: 8), _lab.Work).Info.SourcePort;
        var answer = Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8);
        _lab.FromUplink(answer);

        // A second answer would make it a stream; the table tests time the 30 s to the millisecond.
        var tooLate = ReplyAfter(30_000, answer);

        Assert.Equal(DropReason.UnsolicitedFromUplink, tooLate.Reason);
    }

    [Fact]
    public void a_lookup_of_two_queries_and_two_answers_is_forgotten_after_30_seconds_too()
    {
        // glibc asks for A and AAAA from one socket.
        var natPort = _lab.Through(Packets.Udp(Work4, Remote4, 5353, 53, payload: 8), _lab.Work).Info.SourcePort;
        _lab.Through(Packets.Udp(Work4, Remote4, 5353, 53, payload: 9), _lab.Work);
        var answer = Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8);
        _lab.FromUplink(answer);
        _lab.Now += 30;
        _lab.FromUplink(answer);

        var tooLate = ReplyAfter(30_000, answer);

        Assert.Equal(DropReason.UnsolicitedFromUplink, tooLate.Reason);
    }

    [Fact]
    public void a_udp_flow_still_active_two_seconds_after_it_began_stays_open_two_minutes_after_its_last_packet()
    {
        var natPort = _lab.Through(Packets.Udp(Work4, Remote4, 5353, 53, payload: 8), _lab.Work).Info.SourcePort;
        var answer = Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8);
        _lab.FromUplink(answer);
        _lab.Now += 2_000;
        _lab.Through(Packets.Udp(Work4, Remote4, 5353, 53, payload: 8), _lab.Work);

        var inTime = ReplyAfter(119_999, answer);
        var tooLate = ReplyAfter(120_000, answer);

        Assert.True(inTime.Forwarded);
        Assert.Equal(DropReason.UnsolicitedFromUplink, tooLate.Reason);
    }

    [Fact]
    public void an_established_tcp_connection_survives_a_day_of_silence()
    {
        var natPort = _lab.Through(Packets.Tcp(Work4, Remote4, 40000, 22, TcpFlags.Syn), _lab.Work).Info.SourcePort;
        _lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 22, natPort, TcpFlags.Syn | TcpFlags.Ack));
        _lab.Through(Packets.Tcp(Work4, Remote4, 40000, 22, TcpFlags.Ack), _lab.Work);

        var nextDay = ReplyAfter(24L * 3600 * 1000, Packets.Tcp(Remote4, Uplink4, 22, natPort, TcpFlags.Ack | TcpFlags.Psh, payload: 40));

        Assert.True(nextDay.Forwarded, nextDay.Reason.ToString());
    }

    [Fact]
    public void a_reset_connection_is_forgotten_ten_seconds_later()
    {
        var natPort = _lab.Through(Packets.Tcp(Work4, Remote4, 40000, 22, TcpFlags.Syn), _lab.Work).Info.SourcePort;
        _lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 22, natPort, TcpFlags.Syn | TcpFlags.Ack));
        _lab.Through(Packets.Tcp(Work4, Remote4, 40000, 22, TcpFlags.Ack), _lab.Work);
        _lab.Through(Packets.Tcp(Work4, Remote4, 40000, 22, TcpFlags.Rst), _lab.Work);

        var straggler = ReplyAfter(10_000, Packets.Tcp(Remote4, Uplink4, 22, natPort, TcpFlags.Ack, payload: 40));

        Assert.Equal(DropReason.UnsolicitedFromUplink, straggler.Reason);
    }

    [Fact]
    public void an_echo_flow_is_forgotten_after_thirty_idle_seconds()
    {
        var natId = _lab.Through(Packets.IcmpEcho(Work6, Remote6, id: 9, sequence: 1), _lab.Work).Info.SourcePort;
        var reply = Packets.IcmpEcho(Remote6, Uplink6, id: natId, sequence: 1, request: false);

        var inTime = ReplyAfter(29_999, reply);
        var tooLate = ReplyAfter(30_000, reply);

        Assert.True(inTime.Forwarded);
        Assert.Equal(DropReason.UnsolicitedFromUplink, tooLate.Reason);
    }

    // A worker with no packet to handle sweeps once a second: what it reports as tracked must fall to the flows still open.
    [Fact]
    public void sweeps_forget_a_full_table_of_timed_out_flows_a_slice_at_a_time()
    {
        const int capacity = 4 * PacketEngine.SweepEntries;
        var lab = new EngineLab(["action=accept"], options: Options with { Limits = new ConnectionLimits { Capacity = capacity, PerClientQuota = capacity } });
        for (var i = 0; i < capacity; i++)
        {
            lab.Through(Packets.Udp(Work4, Remote4, (ushort)(1024 + i), 53, payload: 8), lab.Work);
        }

        var left = new List<int>();
        for (var sweep = 0; sweep < 4; sweep++)
        {
            lab.Engine.Sweep(lab.Now + 30_000);
            left.Add(lab.Engine.Connections.Count);
        }

        Assert.Equal([3 * PacketEngine.SweepEntries, 2 * PacketEngine.SweepEntries, PacketEngine.SweepEntries, 0], left);
    }

    [Fact]
    public void a_sweep_forgets_no_flow_before_its_time()
    {
        var natPort = _lab.Through(Packets.Udp(Work4, Remote4, 5353, 53, payload: 8), _lab.Work).Info.SourcePort;

        _lab.Engine.Sweep(_lab.Now + 29_999);
        var reply = ReplyAfter(29_999, Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8));

        Assert.True(reply.Forwarded);
    }
}
