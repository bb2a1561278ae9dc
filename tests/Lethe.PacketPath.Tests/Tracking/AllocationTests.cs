using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Tests.Nat;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Tracking;

public class AllocationTests
{
    [Fact]
    public void the_per_packet_operations_allocate_nothing()
    {
        var table = new ConnectionTable(new ConnectionLimits { Capacity = 4096 }, ConnectionTimeouts.Default, hashSeed: 5);
        var ports = new PortAllocator(table, PortRange.Default, secret: 6);
        var uplink = NatPackets.Uplink4;
        var packet = NatPackets.Tcp(NatPackets.Client4, NatPackets.Remote4, 51000, 443, 0x10, NatPackets.Payload(100));
        var error = NatPackets.IcmpError(NatPackets.Router4, uplink, 11, 0, packet);

        var refused = 0;
        void Work(int round)
        {
            var original = new FlowKey(NatPackets.Client4, NatPackets.Remote4, 6, (ushort)(1024 + round % 60_000), 443);
            if (!table.Lookup(in original, round, out var entry, out _))
            {
                // Refusals (quota, full table) take the same path without allocating either.
                if (!ports.TryAllocate(in original, uplink, round, out var reply, out _)
                    || !table.TryCreate(in original, in reply, 0, 0, 0x02, round, out entry, out _))
                {
                    refused++;
                    return;
                }
            }
            table.Observe(entry, false, TcpSample.Read(packet, NatPackets.Info(packet)), 140, round);
            var info = NatPackets.Info(packet);
            NatRewriter.RewriteSource(packet, ref info, uplink, 40001);
            NatRewriter.RewriteSource(packet, ref info, NatPackets.Client4, 51000);
            var errorInfo = NatPackets.Info(error);
            NatRewriter.TryReadQuotedFlow(error, in errorInfo, out _);
            NatRewriter.TranslateIcmpError(error, ref errorInfo, NatPackets.Client4, 51000);
            table.Expire(round, 8);
            if (round % 3 == 0)
            {
                table.Remove(entry);
            }
        }

        for (var i = 0; i < 2000; i++)
        {
            Work(i);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 2000; i < 12_000; i++)
        {
            Work(i);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // A per-packet allocation would cost at least 24 bytes each time; less than a byte per operation leaves
        // room only for the runtime's own one-off work (tiered JIT, OSR) that may land on this thread.
        Assert.True(allocated < 10_000, $"{allocated} bytes allocated over 10,000 rounds");
        Assert.InRange(refused, 1, 12_000);
    }
}
