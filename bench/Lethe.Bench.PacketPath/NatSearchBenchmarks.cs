using BenchmarkDotNet.Attributes;
using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.Bench.PacketPath;

/// <summary>
/// <see cref="PortAllocator.TryAllocate(in FlowKey, NetAddress, long, out FlowKey, out DropReason)"/>
/// for a new UDP flow to 192.0.2.53:53: with the table empty (the first port is free), and with
/// every one of the range's 64,512 ports live towards that address and port (every new flow
/// refused as nat-ports-exhausted, the case a client at a large quota, or many clients' DNS, can
/// bring about). One operation is one search.
/// </summary>
[MemoryDiagnoser]
public class NatSearchBenchmarks
{
    private static readonly NetAddress Client = NetAddress.Parse("10.137.0.10");
    private static readonly NetAddress Resolver = NetAddress.Parse("192.0.2.53");
    private static readonly NetAddress Uplink = NetAddress.Parse("198.51.100.2");

    private PortAllocator _empty = null!;
    private PortAllocator _full = null!;
    // A source port inside the range: a port below 1024 is kept as it is when free, and would need no search.
    private readonly FlowKey _next = new(Client, Resolver, IpProtocol.Udp, 40_000, 53);

    [GlobalSetup]
    public void Setup()
    {
        _empty = new PortAllocator(Table(), PortRange.Default, secret: 5);
        var table = Table();
        _full = new PortAllocator(table, PortRange.Default, secret: 5);
        for (int port = PortRange.Default.First; port <= PortRange.Default.Last; port++)
        {
            var reply = PortAllocator.ReplyKey(IpProtocol.Udp, Uplink, Resolver, 53, (ushort)port);
            // Eight clients: one client's quota is a quarter of the table.
            var original = new FlowKey(Client, Resolver, IpProtocol.Udp, (ushort)port, 53);
            if (!table.TryCreate(original, reply, port % 8, 0, 0, 0, out _, out var reason))
            {
                throw new InvalidOperationException($"filling the range: {reason}");
            }
        }
        if (_full.TryAllocate(_next, Uplink, 0, out _, out _) || !_empty.TryAllocate(_next, Uplink, 0, out _, out _))
        {
            throw new InvalidOperationException("the full range found a port, or the empty one did not");
        }
    }

    private static ConnectionTable Table() =>
        new(new ConnectionLimits { Capacity = 70_000, PerClientQuota = 70_000 }, ConnectionTimeouts.Default, hashSeed: 11);

    [Benchmark(Baseline = true)]
    public bool FirstPortFree() => _empty.TryAllocate(_next, Uplink, 0, out _, out _);

    [Benchmark]
    public bool RangeFull() => _full.TryAllocate(_next, Uplink, 0, out _, out _);
}
