using BenchmarkDotNet.Attributes;
using Lethe.Domain.Policies;

namespace Lethe.Bench.Domain;

/// <summary>
/// A policy's whole log folded as publish, rollback, revert and show --at fold it (<see cref="Policy.FoldAll"/>),
/// against the same log folded one event at a time, as the inline projection folds each change.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 1, iterationCount: 5)]
public class PolicyFoldBenchmarks
{
    private object[] _log = [];

    /// <summary>Clients x rules each: a few clients with long rule lists, and many clients with a few rules.</summary>
    [Params("10x1000", "1000x10", "5000x10")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split('x');
        var (clients, rules) = (int.Parse(parts[0]), int.Parse(parts[1]));
        var log = new List<object>();
        for (var c = 0; c < clients; c++)
        {
            log.Add(new ClientAdded($"client-{c}", [$"10.{c / 250}.{c % 250}.1"]));
        }
        // Rules added one at a time, round the clients, each at the end of its client's list.
        for (var r = 0; r < rules; r++)
        {
            for (var c = 0; c < clients; c++)
            {
                log.Add(new RuleAdded($"client-{c}", $"r{c}-{r}", $"action=accept proto=tcp dstports={1 + r % 65535}", r));
            }
        }
        _log = [.. log];
    }

    [Benchmark(Baseline = true)]
    public Policy EventByEvent()
    {
        var policy = Policy.Start(new PolicyCreated("bench"));
        foreach (var e in _log)
        {
            policy = policy.Fold(e);
        }
        return policy;
    }

    [Benchmark]
    public Policy WholeLog() => Policy.Start(new PolicyCreated("bench")).FoldAll(_log);
}
