using BenchmarkDotNet.Attributes;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.Bench.PacketPath;

/// <summary>
/// The packet that meets a rule's expiry: <see cref="PacketEngine.Process(Span{byte}, int, int, long, Span{byte})"/>
/// then works out which clients' flows to judge again (the client whose rule expired) before it
/// goes on, on the worker's thread, so the whole policy's client count is in it. A policy of
/// <see cref="Clients"/> clients, each with one address and <c>action=accept</c>; the first client
/// also has a UDP rule expiring at every second. Each operation advances the clock one second and
/// sends one segment of a TCP flow of the first client (judged again at each of its expiries): <see cref="MeetsAnExpiry"/> passes one expiry per
/// packet, <see cref="NoExpiry"/> the same with a policy that has none. One flow is tracked.
/// </summary>
[MemoryDiagnoser]
public class ExpiryCheckBenchmarks
{
    private const long StartMs = 1_800_000_000_000;
    private const int Expiries = 16;

    private readonly byte[] _template = TcpPacket.Build(NetAddress.Parse("10.0.0.0"), NetAddress.Parse("192.0.2.10"), 40_000, 443, TcpFlags.Ack,
        TcpPacket.HeadersLength);
    private readonly byte[] _packet = new byte[TcpPacket.HeadersLength];
    private readonly byte[] _reply = new byte[1500];
    private CompiledPolicy _expiring = null!;
    private CompiledPolicy _plain = null!;
    private PacketEngine _withExpiries = null!;
    private PacketEngine _without = null!;
    private long _now;

    [Params(2_000, 16_000)]
    public int Clients { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _expiring = Compile(withExpiries: true);
        _plain = Compile(withExpiries: false);
    }

    // A fresh engine per iteration (BenchmarkDotNet then invokes once), its flow open and its first
    // expiry scheduled one second ahead, which the measured packet meets.
    [IterationSetup]
    public void Fresh()
    {
        _withExpiries = Engine(_expiring);
        _without = Engine(_plain);
        _now = StartMs;
        Send(_withExpiries, StartMs);
        Send(_without, StartMs);
        _now = StartMs;
    }

    [Benchmark(Baseline = true)]
    public bool NoExpiry() => Send(_without, _now += 1_000);

    [Benchmark]
    public bool MeetsAnExpiry() => Send(_withExpiries, _now += 1_000);

    private bool Send(PacketEngine engine, long nowMs)
    {
        _template.CopyTo(_packet, 0);
        return engine.Process(_packet, _template.Length, 0, nowMs, _reply).Forwarded;
    }

    private CompiledPolicy Compile(bool withExpiries)
    {
        var clients = new SnapshotClient[Clients];
        for (var c = 0; c < clients.Length; c++)
        {
            var rules = new List<SnapshotRule>();
            if (c == 0 && withExpiries)
            {
                for (var e = 1; e <= Expiries; e++)
                {
                    rules.Add(new SnapshotRule($"x{e}", $"action=drop proto=udp dstports={e} expire={StartMs / 1000 + e}"));
                }
            }
            rules.Add(new SnapshotRule($"r{c}", "action=accept"));
            clients[c] = new SnapshotClient($"client-{c}", [$"10.{(c >> 16) & 255}.{(c >> 8) & 255}.{c & 255}"], rules);
        }
        return CompiledPolicy.Compile(new SnapshotContent(SnapshotContent.CurrentFormat, "many", clients), []);
    }

    private static PacketEngine Engine(CompiledPolicy compiled) =>
        new(new ActivePolicy(compiled, 1, compiled.CreateHostTable()), new EngineOptions
        {
            UplinkV4 = NetAddress.Parse("198.51.100.1"),
            Seed = 1,
            Limits = new ConnectionLimits { Capacity = 1_024, PerClientQuota = 64, MaxClients = ConnectionTable.MaxClients },
        });
}
