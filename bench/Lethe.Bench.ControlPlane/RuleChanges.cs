using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Lethe.TestSupport.Host;

namespace Lethe.Bench.ControlPlane;

public sealed record ChangeRun(
    string Name,
    int Workers,
    int Policies,
    double Seconds,
    int Ok,
    int Conflicts,
    int Other,
    Stats? OkLatency,
    Stats AllLatency,
    string? FirstError,
    int RulesStored,
    int RulesExpected)
{
    public double OkPerSecond => Ok / Seconds;

    public double AttemptsPerSecond => (Ok + Conflicts + Other) / Seconds;
}

/// <summary>
/// Rule changes per second: each worker has its own HttpClient (its own connections) and adds
/// rules with POST /policies/{p}/clients/c0/rules, back to back, without If-Match, for a fixed time.
/// A 409 is counted and not retried, so on a shared policy the count shows how often the
/// optimistic check on the event stream turns a concurrent change away.
/// </summary>
public static class RuleChanges
{
    private sealed class Worker
    {
        public readonly List<double> OkMs = [];
        public readonly List<double> AllMs = [];
        public int Ok;
        public int Conflicts;
        public int Other;
        public string? FirstError;
    }

    public static async Task<ChangeRun> Run(ControlPlaneHost host, string name, string[] policyOfWorker, TimeSpan duration, int warmupPerWorker,
        TextWriter log)
    {
        using var setup = host.Client();
        var api = new Api(setup);
        var policies = policyOfWorker.Distinct().ToArray();
        for (var p = 0; p < policies.Length; p++)
        {
            await api.CreatePolicy(policies[p]);
            await api.AddClient(policies[p], "c0", Rules.Address(p + 1, 0));
        }

        var clients = policyOfWorker.Select(_ => host.Client()).ToArray();
        try
        {
            var counter = 0;
            async Task<Worker> Loop(int w, Func<int, bool> more)
            {
                var result = new Worker();
                var path = $"/policies/{policyOfWorker[w]}/clients/c0/rules";
                for (var n = 0; more(n); n++)
                {
                    var index = Interlocked.Increment(ref counter);
                    var started = Stopwatch.GetTimestamp();
                    using var response = await clients[w].PostAsJsonAsync(path, new { rule = Rules.Line(w, index), reason = "bench: add" });
                    var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    result.AllMs.Add(ms);
                    switch (response.StatusCode)
                    {
                        case HttpStatusCode.OK:
                            result.Ok++;
                            result.OkMs.Add(ms);
                            break;
                        case HttpStatusCode.Conflict:
                            result.Conflicts++;
                            break;
                        default:
                            result.Other++;
                            result.FirstError ??= $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                            break;
                    }
                }
                return result;
            }

            // Warm-up: a few changes per worker (connections opened, code paths jitted), not timed.
            var warm = await Task.WhenAll(clients.Select((_, w) => Loop(w, n => n < warmupPerWorker)));

            var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            var started = Stopwatch.GetTimestamp();
            var workers = await Task.WhenAll(clients.Select((_, w) => Loop(w, _ => Stopwatch.GetTimestamp() < stopAt)));
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

            var stored = 0;
            foreach (var policy in policies)
            {
                stored += await api.RuleCount(policy);
            }
            var ok = workers.Sum(x => x.Ok);
            var okMs = workers.SelectMany(x => x.OkMs).ToArray();
            var run = new ChangeRun(name, clients.Length, policies.Length, seconds, ok, workers.Sum(x => x.Conflicts), workers.Sum(x => x.Other),
                okMs.Length > 0 ? new Stats(okMs) : null, new Stats(workers.SelectMany(x => x.AllMs)),
                workers.Concat(warm).Select(x => x.FirstError).FirstOrDefault(e => e is not null),
                stored, warm.Sum(x => x.Ok) + ok);
            log.WriteLine($"  {name}: {ok} changes in {seconds:F1} s = {run.OkPerSecond:F0}/s, {run.Conflicts} conflicts, {run.Other} other errors, " +
                          $"{stored} rules stored (expected {run.RulesExpected})");
            return run;
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }
}
