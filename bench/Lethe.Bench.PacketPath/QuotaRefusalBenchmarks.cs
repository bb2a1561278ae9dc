using BenchmarkDotNet.Attributes;
using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.Bench.PacketPath;

/// <summary>
/// A new TCP flow of a client at its quota, refused as <c>client-quota-exceeded</c>: what each SYN of
/// a client flooding at its quota costs the worker it shares with other clients. The default table
/// (65,536 entries, a quota of 16,384); the client holds its quota of established flows, and
/// <see cref="OthersFinished"/> says whether another client holds 1,000 in TIME_WAIT (which the
/// flooding client may not take). One operation is one refused flow.
/// </summary>
[MemoryDiagnoser]
public class QuotaRefusalBenchmarks
{
    private const byte Syn = 0x02, Fin = 0x01, Ack = 0x10;
    private const long NowMs = 1_000_000;
    private static readonly NetAddress Uplink = NetAddress.Parse("192.0.2.1");
    private static readonly NetAddress Remote = NetAddress.Parse("198.51.100.7");
    private ConnectionTable _table = null!;
    private FlowKey _refused;
    private FlowKey _refusedReply;

    [Params(false, true)]
    public bool OthersFinished { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _table = new ConnectionTable(new ConnectionLimits(), ConnectionTimeouts.Default, hashSeed: 11);
        for (var i = 0; i < _table.PerClientQuota; i++)
        {
            Open(client: 0, i, finish: false);
        }
        if (OthersFinished)
        {
            for (var i = 0; i < 1_000; i++)
            {
                Open(client: 1, i, finish: true);
            }
        }
        _refused = Key(0, _table.PerClientQuota);
        _refusedReply = Reply(_refused);
        if (Refuse() != DropReason.ClientQuotaExceeded)
        {
            throw new InvalidOperationException("The client is not at its quota.");
        }
    }

    [Benchmark]
    public DropReason Refuse()
    {
        _table.TryCreate(in _refused, in _refusedReply, 0, 0, Syn, NowMs, out _, out var reason);
        return reason;
    }

    private void Open(int client, int n, bool finish)
    {
        var key = Key(client, n);
        if (!_table.TryCreate(in key, Reply(key), client, 0, Ack, NowMs, out var entry, out var reason))
        {
            throw new InvalidOperationException($"Flow {n} of client {client} refused: {reason}.");
        }
        _table.Observe(entry, isReply: false, new TcpSample(Ack, 0, 0, 0, 0), 40, NowMs);
        if (finish)
        {
            _table.Observe(entry, isReply: false, new TcpSample(Fin | Ack, 0, 0, 0, 0), 40, NowMs);
            _table.Observe(entry, isReply: true, new TcpSample(Fin | Ack, 0, 0, 0, 0), 40, NowMs);
            _table.Observe(entry, isReply: false, new TcpSample(Ack, 0, 0, 0, 0), 40, NowMs);
        }
    }

    private static FlowKey Key(int client, int n) =>
        new(NetAddress.V4(0x0A89_0000u + (uint)client), Remote, 6, (ushort)(1024 + n % 60_000), (ushort)(443 + n / 60_000));

    private static FlowKey Reply(FlowKey original) =>
        PortAllocator.ReplyKey(6, Uplink, original.Destination, original.DestinationPort, original.SourcePort);
}
