using System.Diagnostics;
using Lethe.TestSupport.Host;

namespace Lethe.Bench.ControlPlane;

public sealed record PublishResult(string Policy, int Clients, int RulesPerClient, Stats Publish, Stats ImportPerClient, Stats Replace,
    int SnapshotBytes);

/// <summary>
/// Publish latency: the round trip of POST /policies/{p}/publish, which loads the draft, runs the
/// policy tests, canonicalises and hashes the content, signs it (ECDSA P-256) and stores the
/// sealed snapshot together with the Published event in one transaction.
/// </summary>
public static class PublishLatency
{
    public static async Task<PublishResult> Run(ControlPlaneHost host, int clients, int rulesPerClient, int warmup, int repetitions, TextWriter log)
    {
        using var http = host.Client();
        var api = new Api(http);
        var policy = $"publish-{clients}x{rulesPerClient}";
        await api.CreatePolicy(policy);

        var importMs = new List<double>();
        string? changing = null;
        for (var c = 0; c < clients; c++)
        {
            await api.AddClient(policy, $"c{c}", Rules.Address(0, c));
            var lines = Enumerable.Range(0, rulesPerClient).Select(i => Rules.Line(c, i)).ToArray();
            var started = Stopwatch.GetTimestamp();
            var ids = await api.Import(policy, $"c{c}", lines);
            importMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            changing ??= ids[0];
        }
        var stored = await api.RuleCount(policy);
        if (stored != clients * rulesPerClient)
        {
            throw new InvalidOperationException($"{policy}: expected {clients * rulesPerClient} rules after seeding, found {stored}");
        }
        log.WriteLine($"  {policy}: seeded {stored} rules (import of {rulesPerClient} lines: median {Stats.Ms(new Stats(importMs).Median)} ms)");

        var publishMs = new List<double>();
        var replaceMs = new List<double>();
        for (var i = 0; i < warmup + repetitions; i++)
        {
            // Change one rule so the draft differs from the latest snapshot (an identical draft is refused).
            var started = Stopwatch.GetTimestamp();
            await api.Replace(policy, changing!, Rules.Line(0, 0, portSalt: i + 1));
            var replaced = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

            started = Stopwatch.GetTimestamp();
            var published = await api.Post($"/policies/{policy}/publish", new { reason = $"bench: publish {i + 1}" });
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

            var version = published.GetProperty("version").GetInt32();
            if (version != i + 1)
            {
                throw new InvalidOperationException($"{policy}: publish {i + 1} made version {version}");
            }
            if (i >= warmup)
            {
                publishMs.Add(elapsed);
                replaceMs.Add(replaced);
            }
        }
        var snapshot = await api.GetBytes($"/policies/{policy}/snapshots/latest");
        var result = new PublishResult(policy, clients, rulesPerClient, new Stats(publishMs), new Stats(importMs), new Stats(replaceMs), snapshot.Length);
        log.WriteLine($"  {policy}: {repetitions} publishes, median {Stats.Ms(result.Publish.Median)} ms, p95 {Stats.Ms(result.Publish.P95)} ms");
        return result;
    }
}
