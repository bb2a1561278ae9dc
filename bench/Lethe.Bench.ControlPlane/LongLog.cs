using System.Diagnostics;
using System.Globalization;
using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Lethe.TestSupport.Host;
using Microsoft.Extensions.DependencyInjection;

namespace Lethe.Bench.ControlPlane;

public sealed record LongLogResult(int Events, int Rules, Stats Show, Stats ShowAtStart, Stats ShowAtEnd, Stats Rollback, Stats Publish);

public sealed record ListResult(int Policies, int RulesEach, Stats List);

/// <summary>
/// What reading and rolling back cost when a policy's event log is long: one policy of one client's
/// rules, published as version 1, then tens of thousands of rule replacements, published as version 2.
/// Then, each an HTTP round trip: `show --at` a time just after version 1 (GET /policies/{p}?at=) and
/// at the log's end, a rollback (POST /rollback, alternately to 1 and to 2, each a new version), and a
/// publish of one more replaced rule. And, on its own, the policy list (GET /policies) over many policies.
/// </summary>
public static class LongLog
{
    /// <summary>Events appended per transaction while the log is built; each runs the inline projection once.</summary>
    private const int Batch = 1_000;

    public static async Task<LongLogResult> Run(ControlPlaneHost host, int events, int rules, int repetitions, TextWriter log)
    {
        using var http = host.Client();
        var api = new Api(http);
        const string policy = "long-log";
        await api.CreatePolicy(policy);
        await api.AddClient(policy, "c0", Rules.Address(0, 0));
        var lines = Enumerable.Range(0, rules).Select(i => Rules.Line(0, i)).ToArray();
        var ids = await api.Import(policy, "c0", lines);
        await api.Post($"/policies/{policy}/publish", new { reason = "bench: version 1" });
        await Task.Delay(50);
        var start = DateTimeOffset.UtcNow;
        await Task.Delay(50);

        // Appended through the control plane's own store (the inline projection keeps the draft), in
        // batches: through the API one change at a time, 50,000 of them would take minutes.
        var texts = (string[])lines.Clone();
        var seeded = Stopwatch.GetTimestamp();
        for (var done = 0; done < events; done += Batch)
        {
            using var scope = host.App.Services.CreateScope();
            var store = scope.ServiceProvider.GetRequiredService<IPolicyStore>();
            var version = (await store.Load(policy, CancellationToken.None))!.Version;
            var batch = new object[Math.Min(Batch, events - done)];
            for (var i = 0; i < batch.Length; i++)
            {
                var index = (done + i) % rules;
                var after = Rules.Line(0, index, portSalt: (done + i) / rules + 1);
                batch[i] = new RuleReplaced("c0", ids[index], texts[index], after);
                texts[index] = after;
            }
            await store.Append(policy, version, batch, new AuditStamp("bench", "bench: a long log", "bench-long-log"), null, CancellationToken.None);
        }
        await api.Post($"/policies/{policy}/publish", new { reason = "bench: version 2" });
        log.WriteLine($"  {policy}: {events:N0} rule replacements appended in {Stats.Ms(Stopwatch.GetElapsedTime(seeded).TotalMilliseconds)} ms, published as version 2");

        var show = await Time(repetitions, _ => api.Get($"/policies/{policy}"));
        var atStart = Uri.EscapeDataString(start.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture));
        var showStart = await Time(repetitions, _ => api.Get($"/policies/{policy}?at={atStart}"));
        var atEnd = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddSeconds(1).ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture));
        var showEnd = await Time(repetitions, _ => api.Get($"/policies/{policy}?at={atEnd}"));
        var rollback = await Time(repetitions, i => api.Post($"/policies/{policy}/rollback", new { toVersion = i % 2 == 0 ? 1 : 2, reason = "bench: rollback" }));
        // One rule replaced before each: an unchanged draft is not published again. Not timed.
        var publish = await Time(repetitions, i => api.Post($"/policies/{policy}/publish", new { reason = "bench: publish" }),
            i => api.Replace(policy, ids[0], Rules.Line(0, 0, portSalt: 50_000 + i)));

        var result = new LongLogResult(events, rules, show, showStart, showEnd, rollback, publish);
        log.WriteLine($"  show --at start {Stats.Ms(showStart.Median)} ms, at end {Stats.Ms(showEnd.Median)} ms, rollback {Stats.Ms(rollback.Median)} ms, " +
                      $"publish {Stats.Ms(publish.Median)} ms (medians)");
        return result;
    }

    public static async Task<ListResult> RunList(ControlPlaneHost host, int policies, int rules, int repetitions, TextWriter log)
    {
        using var http = host.Client();
        var api = new Api(http);
        var lines = Enumerable.Range(0, rules).Select(i => Rules.Line(0, i)).ToArray();
        var seeded = Stopwatch.GetTimestamp();
        for (var p = 0; p < policies; p++)
        {
            var policy = $"list-{p:D4}";
            await api.CreatePolicy(policy);
            await api.AddClient(policy, "c0", Rules.Address(p, 0));
            await api.Import(policy, "c0", lines);
        }
        log.WriteLine($"  {policies} policies of {rules} rules seeded in {Stats.Ms(Stopwatch.GetElapsedTime(seeded).TotalMilliseconds)} ms");
        var list = await Time(repetitions, _ => api.Get("/policies"));
        log.WriteLine($"  GET /policies: median {Stats.Ms(list.Median)} ms");
        return new ListResult(policies, rules, list);
    }

    /// <summary>One untimed warm-up, then <paramref name="repetitions"/> timed calls, each after its untimed <paramref name="before"/>.</summary>
    private static async Task<Stats> Time(int repetitions, Func<int, Task> call, Func<int, Task>? before = null)
    {
        var ms = new List<double>();
        for (var i = 0; i <= repetitions; i++)
        {
            if (before is not null)
            {
                await before(i);
            }
            var started = Stopwatch.GetTimestamp();
            await call(i);
            if (i > 0)
            {
                ms.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        return new Stats(ms);
    }
}
