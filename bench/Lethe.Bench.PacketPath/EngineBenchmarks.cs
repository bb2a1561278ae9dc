using BenchmarkDotNet.Attributes;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.Bench.PacketPath;

/// <summary>
/// The whole engine (<see cref="PacketEngine.Process"/>: parse, origin checks, connection-table
/// hit, NAT rewrite with incremental checksums, hop limit, MTU, counters) on one established TCP
/// flow from client 10.137.0.10:40000 to 198.51.100.20:443, NATed behind the uplink 192.0.2.1.
/// One operation is one packet: client→uplink (source rewritten to the uplink address and NAT
/// port) or its reply uplink→client (destination rewritten back), 64 or 1,400 bytes on the wire.
/// packets/s per core = 1e9 / Mean.
/// <para>
/// The engine rewrites the packet in place, so each operation first restores it from a template.
/// All the bytes it rewrites (TTL, IPv4 header checksum, addresses, ports, TCP checksum) lie in
/// the first 40 bytes, and the engine neither reads nor writes the payload (checksums are updated
/// incrementally), so only those 40 bytes are copied back: the same small cost at both sizes,
/// measured alone by <see cref="RestoreHeadersOnly"/> (a full 1,400-byte copy would add tens of ns
/// that are not the engine's). The clock advances 1 ms every 1,024 packets, so the flow stays
/// established (5-day timeout) and the expiry sweep runs as on a live path.
/// </para>
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private const long StartMs = 1_800_000_000_000;

    private static readonly NetAddress Client = NetAddress.Parse("10.137.0.10");
    private static readonly NetAddress Server = NetAddress.Parse("198.51.100.20");
    private static readonly NetAddress Uplink = NetAddress.Parse("192.0.2.1");
    private const ushort ClientPort = 40_000;
    private const ushort ServerPort = 443;

    private PacketEngine _engine = null!;
    private int _client;
    private long _ticks;
    private readonly byte[] _reply = new byte[1500];

    private byte[] _out64Template = null!;
    private byte[] _out1400Template = null!;
    private byte[] _in64Template = null!;
    private byte[] _in1400Template = null!;
    private byte[] _out64 = null!;
    private byte[] _out1400 = null!;
    private byte[] _in64 = null!;
    private byte[] _in1400 = null!;

    [GlobalSetup]
    public void Setup()
    {
        // The 1,000-rule client of the classification benchmarks, plus the web rule this flow needs.
        var content = QubesPolicy.Content(1_000, out _, "action=accept proto=tcp dstports=443-443");
        var resolvers = QubesPolicy.Resolvers.Select(NetAddress.Parse).ToArray();
        var compiled = CompiledPolicy.Compile(content, resolvers);
        var options = new EngineOptions { UplinkV4 = Uplink, DnsResolvers = resolvers, Seed = 42 };
        _engine = new PacketEngine(new ActivePolicy(compiled, 1, compiled.CreateHostTable()), options);
        _client = compiled.ClientIndex(QubesPolicy.ClientName);

        // The handshake, through the engine: SYN out (classified, NAT port chosen), SYN-ACK back, ACK out.
        var syn = TcpPacket.Build(Client, Server, ClientPort, ServerPort, TcpFlags.Syn, TcpPacket.HeadersLength);
        Expect(Process(syn, _client), "SYN");
        var natPort = (ushort)(syn[20] << 8 | syn[21]);
        if (NetAddress.FromV4Bytes(syn.AsSpan(12, 4)) != Uplink)
        {
            throw new InvalidOperationException("the SYN left without NAT");
        }
        Expect(Process(TcpPacket.Build(Server, Uplink, ServerPort, natPort, TcpFlags.Syn | TcpFlags.Ack, TcpPacket.HeadersLength, 5000, 1001), Ingress.Uplink),
            "SYN-ACK");
        Expect(Process(TcpPacket.Build(Client, Server, ClientPort, ServerPort, TcpFlags.Ack, TcpPacket.HeadersLength, 1001, 5001), _client), "ACK");
        ExpectEstablished();

        _out64Template = TcpPacket.Build(Client, Server, ClientPort, ServerPort, TcpFlags.Ack | TcpFlags.Psh, 64, 1001, 5001);
        _out1400Template = TcpPacket.Build(Client, Server, ClientPort, ServerPort, TcpFlags.Ack | TcpFlags.Psh, 1400, 1001, 5001);
        _in64Template = TcpPacket.Build(Server, Uplink, ServerPort, natPort, TcpFlags.Ack | TcpFlags.Psh, 64, 5001, 1001);
        _in1400Template = TcpPacket.Build(Server, Uplink, ServerPort, natPort, TcpFlags.Ack | TcpFlags.Psh, 1400, 5001, 1001);
        _out64 = (byte[])_out64Template.Clone();
        _out1400 = (byte[])_out1400Template.Clone();
        _in64 = (byte[])_in64Template.Clone();
        _in1400 = (byte[])_in1400Template.Clone();

        // Each benchmark once, checked: forwarded, to the right place, rewritten as NAT says.
        Expect(ClientToUplink64() == 64 && NetAddress.FromV4Bytes(_out64.AsSpan(12, 4)) == Uplink, "client→uplink 64");
        Expect(ClientToUplink1400() == 1400, "client→uplink 1400");
        Expect(UplinkToClient64() == 64 && NetAddress.FromV4Bytes(_in64.AsSpan(16, 4)) == Client && (_in64[22] << 8 | _in64[23]) == ClientPort,
            "uplink→client 64");
        Expect(UplinkToClient1400() == 1400, "uplink→client 1400");
        ExpectEstablished();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // A flow that fell out of ESTABLISHED during the run would make the numbers mean something else.
        ExpectEstablished();
        Console.WriteLine($"// forwarded {_engine.ForwardedPackets} packets, drops {_engine.Drops.Sum()}, flows {_engine.Connections.Count}");
    }

    /// <summary>What every other benchmark pays besides the engine: the 40-byte restore and the clock.</summary>
    [Benchmark]
    public int RestoreHeadersOnly()
    {
        _out64Template.AsSpan(0, TcpPacket.HeadersLength).CopyTo(_out64);
        return (int)(Now() & 0xFF);
    }

    [Benchmark]
    public int ClientToUplink64() => Run(_out64Template, _out64, _client);

    [Benchmark]
    public int ClientToUplink1400() => Run(_out1400Template, _out1400, _client);

    [Benchmark]
    public int UplinkToClient64() => Run(_in64Template, _in64, Ingress.Uplink);

    [Benchmark]
    public int UplinkToClient1400() => Run(_in1400Template, _in1400, Ingress.Uplink);

    private int Run(byte[] template, byte[] packet, int ingress)
    {
        template.AsSpan(0, TcpPacket.HeadersLength).CopyTo(packet);
        var outcome = _engine.Process(packet, packet.Length, ingress, Now(), _reply);
        return outcome.Forwarded ? outcome.Length : -(int)outcome.Reason;
    }

    private long Now() => StartMs + (++_ticks >> 10);

    private PacketOutcome Process(byte[] packet, int ingress) => _engine.Process(packet, packet.Length, ingress, Now(), _reply);

    private static void Expect(PacketOutcome outcome, string what) =>
        Expect(outcome.Forwarded, $"{what}: {outcome.Reason}");

    private static void Expect(bool ok, string what)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"engine benchmark setup: {what} was not forwarded as expected");
        }
    }

    private void ExpectEstablished()
    {
        var states = new List<ConnectionState>();
        _engine.Connections.ForEach(flow => states.Add(flow.State));
        if (states is not [ConnectionState.Established])
        {
            throw new InvalidOperationException($"expected one established flow, found [{string.Join(", ", states)}]");
        }
    }
}
