using BenchmarkDotNet.Attributes;
using Lethe.Domain.Rules;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Wire;

namespace Lethe.Bench.PacketPath;

/// <summary>
/// Deciding a new flow for a client whose rules name hosts: an allow list (<see cref="Kind"/> "allow":
/// <c>action=accept dsthost=hN.example proto=tcp dstports=443</c>, then <c>action=drop</c>) or a block
/// list ("block": <c>action=drop dsthost=hN.example</c>, then <c>action=accept</c>) of
/// <see cref="Names"/> names, each answered with an address of its own. One packet goes to the
/// last name's address (decided by its rule), one to an address no name holds (decided by the
/// final rule). <b>Compiled</b> is <see cref="CompiledPolicy.Classify"/>, <b>Linear</b> first match
/// over every rule, asking each name's answer.
/// </summary>
[MemoryDiagnoser]
public class DsthostClassificationBenchmarks
{
    private CompiledPolicy _compiled = null!;
    private HostTable _hosts = null!;
    private PacketInfo _named;
    private PacketInfo _unnamed;

    [Params(100, 10_000)]
    public int Names { get; set; }

    [Params("allow", "block")]
    public string Kind { get; set; } = "allow";

    public const long NowUnix = 1_800_000_000;

    [GlobalSetup]
    public void Setup()
    {
        var allow = Kind == "allow";
        var rules = Enumerable.Range(0, Names)
            .Select(i => allow ? $"action=accept dsthost=h{i}.example proto=tcp dstports=443" : $"action=drop dsthost=h{i}.example")
            .Append(allow ? "action=drop" : "action=accept")
            .Select((rule, i) => new SnapshotRule($"r-{i:x10}", rule))
            .ToArray();
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "bench", [new SnapshotClient("work", ["10.137.0.10"], rules)]);
        _compiled = CompiledPolicy.Compile(content, [NetAddress.Parse("10.139.1.1")]);
        _hosts = _compiled.CreateHostTable();
        for (var i = 0; i < Names; i++)
        {
            _hosts.Set($"h{i}.example", [AddressOf(i)]);
        }
        _named = Packet(AddressOf(Names - 1));
        _unnamed = Packet(NetAddress.Parse("203.0.113.1"));

        var named = Named();
        var unnamed = Unnamed();
        if (named != _compiled.ClassifyLinear(0, _named, NowUnix, _hosts) || unnamed != _compiled.ClassifyLinear(0, _unnamed, NowUnix, _hosts)
            || named.RuleIndex != Names - 1 || unnamed.RuleIndex != Names
            || named.Action != (allow ? RuleAction.Accept : RuleAction.Drop) || unnamed.Action != (allow ? RuleAction.Drop : RuleAction.Accept))
        {
            throw new InvalidOperationException($"{Kind} list of {Names}: named {named}, unnamed {unnamed}, not decided by the last name's rule and the final rule");
        }
    }

    private static NetAddress AddressOf(int i) => NetAddress.V4(0xC6120000u + (uint)i); // 198.18.0.0/15

    private static PacketInfo Packet(NetAddress to) => new()
    {
        Version = 4,
        Source = NetAddress.Parse("10.137.0.10"),
        Destination = to,
        Protocol = 6,
        HopLimit = 64,
        SourcePort = 40000,
        DestinationPort = 443,
        TcpFlags = 0x02,
    };

    [Benchmark]
    public Verdict Named() => _compiled.Classify(0, _named, NowUnix, _hosts);

    [Benchmark]
    public Verdict Unnamed() => _compiled.Classify(0, _unnamed, NowUnix, _hosts);

    [Benchmark]
    public Verdict NamedLinear() => _compiled.ClassifyLinear(0, _named, NowUnix, _hosts);

    [Benchmark]
    public Verdict UnnamedLinear() => _compiled.ClassifyLinear(0, _unnamed, NowUnix, _hosts);
}
