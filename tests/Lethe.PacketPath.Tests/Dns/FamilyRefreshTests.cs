using System.Collections.Concurrent;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Dns;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Dns;

/// <summary>
/// Each family of each name is asked on its own schedule, through a real resolver on the manual clock:
/// behind 16 names whose AAAA queries go unanswered (a resolver answering A only for them, each AAAA query
/// waiting out its two tries of 2 s while it holds one of the 16 AAAA slots), a name's A refresh does not
/// wait for its own AAAA query, nor is either family asked on the other's schedule.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class FamilyRefreshTests
{
    private const int Blocked = 16;

    /// <summary>The clock times (seconds since the start) at which the server saw each (name, type) asked, over 70 s.</summary>
    private static async Task<ConcurrentDictionary<(string Name, ushort Type), ConcurrentQueue<double>>> AskedOver70Seconds()
    {
        await using var server = new TinyDnsServer();
        var time = new ManualTimeProvider();
        var start = time.GetUtcNow();
        var asked = new ConcurrentDictionary<(string, ushort), ConcurrentQueue<double>>();
        Func<SeenQuery, byte[][]> Noted(Func<SeenQuery, byte[][]> answer) => q =>
        {
            asked.GetOrAdd((q.Name, q.Type), _ => new ConcurrentQueue<double>()).Enqueue((time.GetUtcNow() - start).TotalSeconds);
            return answer(q);
        };
        var blocked = Enumerable.Range(0, Blocked).Select(i => $"ads{i}.test").ToArray();
        foreach (var name in blocked)
        {
            server.Zone[(name, 1)] = Noted(q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: [Rr.A(q.Name, "198.51.100.7", ttl: 3600)])]);
            server.Zone[(name, 28)] = Noted(_ => []);
        }
        server.Zone[("site.test", 1)] = Noted(q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: [Rr.A(q.Name, "192.0.2.1", ttl: 30)])]);
        server.Zone[("site.test", 28)] = Noted(q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: [Rr.Aaaa(q.Name, "2001:db8::1", ttl: 3600)])]);
        var table = new HostTable([.. blocked, "site.test"]);
        var resolver = new Settling(new DnsResolver([server.EndPoint], timeProvider: time), blocked);
        var refresher = new HostRefresher(table, resolver, timeProvider: time);
        using var stop = new CancellationTokenSource();
        var running = refresher.Run(stop.Token);

        // 70 s in steps of 100 ms. The clock moves on only once the step's queries have reached the server and
        // its answers the refresher: on a loaded machine a few ms of real time were not always enough, and an
        // answer seconds late on this clock moved the next refresh by as much, as if the code were wrong.
        for (var step = 0; step < 700; step++)
        {
            await resolver.Settle(server);
            time.Advance(TimeSpan.FromMilliseconds(100));
        }
        await stop.CancelAsync();
        await running;
        return asked;
    }

    /// <summary>Counts the refresher's questions the server will answer (all but the blocked names' AAAA) until their answers are back.</summary>
    private sealed class Settling(IDnsResolver inner, string[] blocked) : IDnsResolver
    {
        private int _awaited;

        public async Task<DnsAnswer> Resolve(string name, bool v6, CancellationToken ct)
        {
            var answered = !(v6 && blocked.Contains(name));
            if (answered)
            {
                Interlocked.Increment(ref _awaited);
            }
            try
            {
                return await inner.Resolve(name, v6, ct);
            }
            finally
            {
                if (answered)
                {
                    Interlocked.Decrement(ref _awaited);
                }
            }
        }

        /// <summary>
        /// Waits until every answered question is back and the server has seen nothing new for a few ms; at most
        /// 200 ms, so that an answer held back by the code (what these tests catch) fails them rather than hangs.
        /// </summary>
        public async Task Settle(TinyDnsServer server)
        {
            var deadline = Environment.TickCount64 + 200;
            var seen = -1;
            while (Environment.TickCount64 < deadline)
            {
                await Task.Delay(2);
                var now = server.Seen.Count;
                if (Volatile.Read(ref _awaited) == 0 && now == seen)
                {
                    return;
                }
                seen = now;
            }
        }
    }

    private static double[] Times(ConcurrentDictionary<(string Name, ushort Type), ConcurrentQueue<double>> asked, string name, ushort type) =>
        asked.TryGetValue((name, type), out var times) ? [.. times] : [];

    [Fact]
    public async Task a_names_a_query_is_asked_when_its_ttl_runs_out_whatever_its_aaaa_query_waits_for()
    {
        var asked = await AskedOver70Seconds();

        var a = Times(asked, "site.test", 1);
        var aaaa = Times(asked, "site.test", 28);
        var late = a.Zip(a.Skip(1), (before, after) => after - before).Where(gap => gap > 31).ToArray();
        Assert.True(a.Length >= 3 && late.Length == 0,
            $"site.test's A (ttl 30 s) was asked at {string.Join(", ", a.Select(t => $"{t:0.0} s"))}: " +
            "it waits for its AAAA query, behind the other names' unanswered ones");
        Assert.True(aaaa.Length == 1,
            $"site.test's AAAA (ttl 3600 s) was asked at {string.Join(", ", aaaa.Select(t => $"{t:0.0} s"))}: on the A schedule, not its own");
    }

    [Fact]
    public async Task a_family_that_goes_unanswered_is_asked_again_after_the_failure_retry_and_the_answered_one_when_its_ttl_runs_out()
    {
        var asked = await AskedOver70Seconds();

        var a = Times(asked, "ads0.test", 1);
        var aaaa = Times(asked, "ads0.test", 28);
        Assert.True(a.Length == 1, $"ads0.test's A (ttl 3600 s) was asked at {string.Join(", ", a.Select(t => $"{t:0.0} s"))}: on the AAAA schedule");
        // Two tries each, 2 s apart, then again 30 s after the second gave up: at 0, 2, 34, 36, 68, 70.
        Assert.True(aaaa.Length >= 4, $"ads0.test's AAAA was asked at {string.Join(", ", aaaa.Select(t => $"{t:0.0} s"))}");
        Assert.InRange(aaaa[2] - aaaa[1], HostRefresher.FailureRetry.TotalSeconds + 1, HostRefresher.FailureRetry.TotalSeconds + 3);
    }

    [Fact]
    public async Task a_family_never_answered_is_asked_ahead_of_the_families_that_only_need_refreshing()
    {
        await using var server = new TinyDnsServer();
        server.Answer("known.test", Rr.A("known.test", "192.0.2.1"), Rr.Aaaa("known.test", "2001:db8::1"));
        server.Answer("half.test", Rr.A("half.test", "192.0.2.2"), Rr.Aaaa("half.test", "2001:db8::2"));
        var table = new HostTable(["known.test", "half.test"]);
        table.Set("known.test", [NetAddress.Parse("192.0.2.1"), NetAddress.Parse("2001:db8::1")]);
        table.Set("half.test", [NetAddress.Parse("192.0.2.2")], v4: true, v6: false); // its AAAA query went unanswered
        var time = new ManualTimeProvider();
        var refresher = new HostRefresher(table, new DnsResolver([server.EndPoint], timeProvider: time, concurrency: 1), timeProvider: time);
        using var stop = new CancellationTokenSource();
        var running = refresher.Run(stop.Token);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (server.Seen.Count(q => q.Type == 28) < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }
        var order = server.Seen.Where(q => q.Type == 28).Select(q => q.Name).ToArray();
        await stop.CancelAsync();
        await running;

        Assert.Equal(["half.test", "known.test"], order);
    }
}
