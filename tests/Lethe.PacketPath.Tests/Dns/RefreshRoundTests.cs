using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Dns;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Dns;

/// <summary>
/// Each name is asked again when its own TTL runs out, through a real resolver on the manual clock,
/// however long the other names' lookups take (a resolver answering A only: every AAAA query waits out
/// its tries, 16 names at a time).
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class RefreshRoundTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(200)]
    public async Task a_short_ttl_name_is_asked_again_when_its_ttl_runs_out_while_other_names_aaaa_queries_go_unanswered(int count)
    {
        await using var server = new TinyDnsServer();
        var fastAsked = 0;
        server.Zone[("fast.test", 1)] = q =>
        {
            var n = Interlocked.Increment(ref fastAsked);
            return [DnsWire.Response(q.Id, q.Name, q.Type, answers: [Rr.A("fast.test", n == 1 ? "192.0.2.1" : "192.0.2.2", ttl: 30)])];
        };
        server.Zone[("fast.test", 28)] = q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: [Rr.Aaaa("fast.test", "2001:db8::1", ttl: 30)])];
        var listed = Enumerable.Range(0, count).Select(i => $"ads{i}.test").ToArray();
        foreach (var name in listed)
        {
            server.Zone[(name, 1)] = q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: [Rr.A(q.Name, "198.51.100.7", ttl: 3600)])];
            server.Zone[(name, 28)] = _ => [];
        }
        var time = new ManualTimeProvider();
        var table = new HostTable(["fast.test", .. listed]);
        var refresher = new HostRefresher(table, new DnsResolver([server.EndPoint], timeProvider: time), timeProvider: time);
        using var stop = new CancellationTokenSource();
        var running = refresher.Run(stop.Token);
        Assert.True(await Eventually(() => table.IsResolved(0)), BootReport(server, table));

        // 40 s in steps of 100 ms; once the server has seen fast.test's second query the clock stops,
        // so that its answer, on the way in real time, is not late in the clock's time.
        for (var step = 0; step < 400 && Volatile.Read(ref fastAsked) < 2; step++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(3);
        }
        var asked = Volatile.Read(ref fastAsked);
        var second = NetAddress.Parse("192.0.2.2");
        await Eventually(() => table.Answers(0, v6: false).SequenceEqual([second]));
        var answer = table.Answers(0, v6: false).ToArray();
        await stop.CancelAsync();
        await running;

        Assert.True(asked >= 2, $"fast.test (ttl 30 s) was asked {asked} time(s) in 40 s: its refresh waits for the AAAA queries of the other names");
        Assert.Equal([second], answer);
    }

    /// <summary>What the server saw and the table holds, should fast.test go unanswered at boot (seen once in a full run, never alone).</summary>
    private static string BootReport(TinyDnsServer server, HostTable table)
    {
        var seen = server.Seen.ToArray();
        var fast = seen.Where(q => q.Name == "fast.test").Select(q => q.Type == 1 ? "A" : "AAAA");
        return $"fast.test was not answered at boot: A {(table.IsResolved(0, v6: false) ? "answered" : "unanswered")}, " +
            $"AAAA {(table.IsResolved(0, v6: true) ? "answered" : "unanswered")}; the server saw {seen.Length} queries, " +
            $"of fast.test: [{string.Join(", ", fast)}]";
    }

    /// <summary>Waits, in real time up to 10 s, until <paramref name="condition"/> holds; whether it did.</summary>
    private static async Task<bool> Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }
        return condition();
    }
}
