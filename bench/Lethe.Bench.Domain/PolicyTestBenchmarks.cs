using System.Net;
using BenchmarkDotNet.Attributes;
using Lethe.Domain.Policies;

namespace Lethe.Bench.Domain;

/// <summary>
/// The policy tests a publish runs, for a policy of many clients with one test each (one rule each,
/// every test passing): each test looks up its client and whether its destination is another
/// client's, which must not cost a walk over every client.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 1, iterationCount: 5)]
public class PolicyTestBenchmarks
{
    private DraftContent _draft = DraftContent.Empty;
    private readonly IPAddress[] _resolvers = [IPAddress.Parse("10.139.1.1")];

    [Params(1_000, 16_000, 65_536)]
    public int Clients { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var clients = new ClientDraft[Clients];
        var tests = new PolicyTest[Clients];
        for (var c = 0; c < Clients; c++)
        {
            clients[c] = new ClientDraft($"c{c}", [$"10.{c >> 16}.{(c >> 8) & 255}.{c & 255}"], [new DraftRule($"r-{c:x10}", "action=accept proto=tcp dstports=443")]);
            tests[c] = new PolicyTest($"t-{c:x8}", $"c{c}", "203.0.113.7", "tcp", 443, null, "accept");
        }
        _draft = new DraftContent(clients, tests);
        if (PolicyTestRunner.Run("bench", _draft, 0, _resolvers).Any(r => !r.Passed))
        {
            throw new InvalidOperationException("every test of the benchmark's policy should pass");
        }
    }

    [Benchmark]
    public IReadOnlyList<PolicyTestResult> Run() => PolicyTestRunner.Run("bench", _draft, 0, _resolvers);
}
