using BenchmarkDotNet.Attributes;
using Lethe.Domain.Policies;

namespace Lethe.Bench.Domain;

/// <summary>
/// `lethe diff` of a policy with many clients, one rule each, where the draft adds a rule to the
/// middle client: what any viewer may ask of a policy at the 65,536-client limit.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 1, iterationCount: 5)]
public class PolicyDiffBenchmarks
{
    private DraftContent _from = DraftContent.Empty;
    private DraftContent _to = DraftContent.Empty;

    [Params(1_000, 65_536)]
    public int Clients { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var clients = new ClientDraft[Clients];
        for (var c = 0; c < Clients; c++)
        {
            clients[c] = new ClientDraft($"c{c}", [$"10.{c >> 8}.{c & 255}.1"], [new DraftRule($"r-{c:x10}", "action=accept dst4=192.0.2.0/24")]);
        }
        var changed = clients.ToArray();
        var middle = Clients / 2;
        changed[middle] = changed[middle] with { Rules = [.. changed[middle].Rules, new DraftRule("r-ffffffffff", "action=drop")] };
        _from = new DraftContent(clients, []);
        _to = new DraftContent(changed, []);
    }

    [Benchmark]
    public IReadOnlyList<ClientDiff> Compare() => PolicyDiff.Compare(_from, _to);
}
