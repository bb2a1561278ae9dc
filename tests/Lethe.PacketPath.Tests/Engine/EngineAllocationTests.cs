using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>The established-flow path (conntrack hit and NAT, both directions) allocates nothing, so it never waits on the garbage collector.</summary>
public class EngineAllocationTests
{
    [Fact]
    public void ten_thousand_round_trips_of_established_flows_allocate_nothing()
    {
        var lab = new EngineLab(["action=accept"]);
        var tcpPort = lab.Through(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn), lab.Work).Info.SourcePort;
        lab.Through(Packets.Tcp(Remote4, Uplink4, 443, tcpPort, TcpFlags.Syn | TcpFlags.Ack), Ingress.Uplink);
        var udpPort = lab.Through(Packets.Udp(Work6, Remote6, 5353, 53, payload: 40), lab.Work).Info.SourcePort;
        byte[][] outgoing =
        [
            Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Ack, payload: 1000),
            Packets.Udp(Work6, Remote6, 5353, 53, payload: 100),
        ];
        byte[][] incoming =
        [
            Packets.Tcp(Remote4, Uplink4, 443, tcpPort, TcpFlags.Ack, payload: 1400),
            Packets.Udp(Remote6, Uplink6, 53, udpPort, payload: 500),
        ];
        var buffer = new byte[2048];
        var reply = new byte[2048];

        var warm = Rounds(lab.Engine, lab.Work, outgoing, incoming, buffer, reply, 1_000, lab.Now);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var measured = Rounds(lab.Engine, lab.Work, outgoing, incoming, buffer, reply, 10_000, lab.Now + 1_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(4 * 1_000, warm);
        Assert.Equal(4 * 10_000, measured);
        // A per-packet allocation would cost at least 24 bytes each time; less than a byte per operation leaves
        // room only for the runtime's own one-off work (tiered JIT, OSR) that may land on this thread.
        Assert.True(allocated < 4 * 10_000, $"{allocated} bytes allocated over 40,000 packets");
    }

    private static int Rounds(PacketEngine engine, int client, byte[][] outgoing, byte[][] incoming, byte[] buffer, byte[] reply, int count, long start)
    {
        var forwarded = 0;
        for (var i = 0; i < count; i++)
        {
            for (var k = 0; k < outgoing.Length; k++)
            {
                outgoing[k].CopyTo(buffer, 0);
                forwarded += engine.Process(buffer, outgoing[k].Length, client, start + i, reply).Forwarded ? 1 : 0;
                incoming[k].CopyTo(buffer, 0);
                forwarded += engine.Process(buffer, incoming[k].Length, Ingress.Uplink, start + i, reply).Forwarded ? 1 : 0;
            }
        }
        return forwarded;
    }
}
