using System.Net;
using BenchmarkDotNet.Attributes;
using Lethe.Domain.Evaluation;
using Lethe.Domain.Rules;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Wire;

namespace Lethe.Bench.PacketPath;

/// <summary>
/// Cost of deciding the first packet of a new flow for one client with 10, 1,000 and 10,000 Qubes
/// rules (<see cref="QubesPolicy"/>): the compiled classifier (<see cref="CompiledPolicy.Classify"/>,
/// bit vectors) against plain linear first match over the same compiled rule structs
/// (<see cref="CompiledPolicy.ClassifyLinear"/>), and the Domain's readable
/// <see cref="ReferenceEvaluator"/> for scale. Each invocation classifies the same
/// <see cref="PacketCount"/> packets (3/4 aimed at rules spread evenly over the list, 1/4 decided
/// only by the final drop, shuffled); the reported time is per packet.
/// </summary>
[MemoryDiagnoser]
public class ClassificationBenchmarks
{
    public const int PacketCount = 256;
    private const int Hits = 192;

    private CompiledPolicy _compiled = null!;
    private HostTable _hosts = null!;
    private int _client;
    private PacketInfo[] _packets = null!;

    private PolicyModel _model = null!;
    private EvaluationEnvironment _environment = null!;
    private FlowQuery[] _queries = null!;

    [Params(10, 1_000, 10_000)]
    public int RuleCount { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var content = QubesPolicy.Content(RuleCount, out var targets);
        var resolvers = QubesPolicy.Resolvers.Select(NetAddress.Parse).ToArray();
        _compiled = CompiledPolicy.Compile(content, resolvers);
        _hosts = _compiled.CreateHostTable();
        _client = _compiled.ClientIndex(QubesPolicy.ClientName);
        _packets = QubesPolicy.Packets(targets, Hits, PacketCount - Hits);

        _model = Lethe.Domain.Snapshots.SnapshotCodec.ToModel(content);
        _environment = new EvaluationEnvironment(QubesPolicy.NowUnix,
            QubesPolicy.Resolvers.Select(IPAddress.Parse).ToArray(),
            new Dictionary<string, IReadOnlyList<IPAddress>>(StringComparer.Ordinal));
        _queries = _packets.Select(Query).ToArray();

        Check();
    }

    /// <summary>The three must agree on every packet, or the comparison means nothing.</summary>
    private void Check()
    {
        long depth = 0;
        var finalDrop = 0;
        var actions = new int[3];
        for (var i = 0; i < _packets.Length; i++)
        {
            var compiled = _compiled.Classify(_client, _packets[i], QubesPolicy.NowUnix, _hosts);
            var linear = _compiled.ClassifyLinear(_client, _packets[i], QubesPolicy.NowUnix, _hosts);
            var reference = ReferenceEvaluator.Evaluate(_model, QubesPolicy.ClientName, _queries[i], _environment);
            if (compiled != linear || compiled.RuleIndex < 0 || reference.Action != compiled.Action ||
                reference.RuleId != _compiled.RuleId(_client, compiled.RuleIndex))
            {
                throw new InvalidOperationException(
                    $"packet {i}: compiled {compiled}, linear {linear}, reference {reference.Action} {reference.RuleId} disagree");
            }
            depth += compiled.RuleIndex;
            finalDrop += compiled.RuleIndex == RuleCount - 1 ? 1 : 0;
            actions[(int)compiled.Action]++;
        }
        Console.WriteLine(
            $"// {RuleCount} rules, {_packets.Length} packets: mean deciding rule index {(double)depth / _packets.Length:F0}, " +
            $"{finalDrop} decided by the final drop; accept {actions[(int)RuleAction.Accept]}, " +
            $"drop {actions[(int)RuleAction.Drop]}, reject {actions[(int)RuleAction.Reject]}");
    }

    private static FlowQuery Query(PacketInfo packet) => new(
        packet.Destination.ToIPAddress(),
        packet.Protocol,
        packet.Protocol is IpProtocol.Tcp or IpProtocol.Udp ? packet.DestinationPort : null,
        packet.Protocol == IpProtocol.Icmp ? packet.IcmpType : null);

    [Benchmark(OperationsPerInvoke = PacketCount)]
    public int Compiled()
    {
        var sum = 0;
        var packets = _packets;
        for (var i = 0; i < packets.Length; i++)
        {
            sum += _compiled.Classify(_client, packets[i], QubesPolicy.NowUnix, _hosts).RuleIndex;
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = PacketCount)]
    public int Linear()
    {
        var sum = 0;
        var packets = _packets;
        for (var i = 0; i < packets.Length; i++)
        {
            sum += _compiled.ClassifyLinear(_client, packets[i], QubesPolicy.NowUnix, _hosts).RuleIndex;
        }
        return sum;
    }

    /// <summary>The Domain's reference: readable, allocating, over parsed <see cref="Rule"/> records and IPAddress.</summary>
    [Benchmark(OperationsPerInvoke = PacketCount)]
    public int Reference()
    {
        var sum = 0;
        var queries = _queries;
        for (var i = 0; i < queries.Length; i++)
        {
            sum += ReferenceEvaluator.Evaluate(_model, QubesPolicy.ClientName, queries[i], _environment).RuleId?.Length ?? 0;
        }
        return sum;
    }
}
