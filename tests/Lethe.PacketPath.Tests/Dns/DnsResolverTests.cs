using System.Net;
using System.Net.Sockets;
using Lethe.PacketPath.Dns;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Dns;

[Collection(AloneCollection.Name)]
public sealed class DnsResolverTests
{
    /// <summary>A try's timeout where a test waits one out: long enough that an answering server's reply is never late, even on a loaded CI machine.</summary>
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(1);

    private static NetAddress Address(string text) => NetAddress.Parse(text);

    private static CancellationToken Ct => CancellationToken.None;

    /// <summary>Asks for both families of <paramref name="name"/> at once, as the refresher does at boot.</summary>
    private static async Task<(DnsAnswer A, DnsAnswer Aaaa)> Both(DnsResolver resolver, string name, CancellationToken ct)
    {
        var a = resolver.Resolve(name, v6: false, ct);
        var aaaa = resolver.Resolve(name, v6: true, ct);
        return (await a, await aaaa);
    }

    [Fact]
    public async Task each_family_is_asked_with_a_query_of_its_own_and_keeps_its_own_smallest_ttl()
    {
        await using var server = new TinyDnsServer();
        server.Answer("host.test", Rr.A("host.test", "192.0.2.1", 300), Rr.A("host.test", "192.0.2.2", 200), Rr.Aaaa("host.test", "2001:db8::1", 120));
        var resolver = new DnsResolver([server.EndPoint]);

        var (a, aaaa) = await Both(resolver, "host.test", Ct);

        Assert.Equal(DnsOutcome.Resolved, a.Outcome);
        Assert.Equal([Address("192.0.2.1"), Address("192.0.2.2")], a.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(200), a.Ttl);
        Assert.Equal(DnsOutcome.Resolved, aaaa.Outcome);
        Assert.Equal([Address("2001:db8::1")], aaaa.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(120), aaaa.Ttl);
        Assert.Equal([(ushort)1, (ushort)28], server.Seen.Select(q => q.Type).Order());
        Assert.Equal(2, server.Seen.Select(q => q.Id).Distinct().Count());
    }

    [Fact]
    public async Task a_cname_chain_is_followed()
    {
        await using var server = new TinyDnsServer();
        server.Answer("www.test", Rr.Cname("www.test", "edge.cdn.test", 60), Rr.A("edge.cdn.test", "198.51.100.7", 300));
        server.Zone[("www.test", 28)] = q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: [Rr.Cname("www.test", "edge.cdn.test", 60)], authority: [Rr.Soa("cdn.test", 900, 90)])];
        var resolver = new DnsResolver([server.EndPoint]);

        var (a, aaaa) = await Both(resolver, "www.test", Ct);

        Assert.Equal(DnsOutcome.Resolved, a.Outcome);
        Assert.Equal([Address("198.51.100.7")], a.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(60), a.Ttl);
        Assert.Equal(DnsOutcome.Resolved, aaaa.Outcome);
        Assert.Empty(aaaa.Addresses);
    }

    [Fact]
    public async Task a_name_with_only_ipv4_addresses_is_resolved_without_ipv6()
    {
        await using var server = new TinyDnsServer();
        server.Zone[("v4only.test", 1)] = q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: [Rr.A("v4only.test", "192.0.2.4", 600)])];
        server.Zone[("v4only.test", 28)] = q => [DnsWire.Response(q.Id, q.Name, q.Type, authority: [Rr.Soa("test", 3600, 300)])];
        var resolver = new DnsResolver([server.EndPoint]);

        var (a, aaaa) = await Both(resolver, "v4only.test", Ct);

        Assert.Equal(DnsOutcome.Resolved, a.Outcome);
        Assert.Equal([Address("192.0.2.4")], a.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(600), a.Ttl);
        Assert.Equal(DnsOutcome.Resolved, aaaa.Outcome); // resolved to nothing, for the negative TTL
        Assert.Empty(aaaa.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(300), aaaa.Ttl);
    }

    [Fact]
    public async Task nxdomain_is_a_name_error_and_is_not_retried()
    {
        await using var server = new TinyDnsServer();
        server.For("gone.test", q => [DnsWire.Response(q.Id, q.Name, q.Type, rcode: 3, authority: [Rr.Soa("test", 3600, 45)])]);
        var resolver = new DnsResolver([server.EndPoint]);

        var (a, aaaa) = await Both(resolver, "gone.test", Ct);

        foreach (var answer in new[] { a, aaaa })
        {
            Assert.Equal(DnsOutcome.NameError, answer.Outcome);
            Assert.Empty(answer.Addresses);
            Assert.Equal(TimeSpan.FromSeconds(45), answer.Ttl);
        }
        Assert.Equal(2, server.Seen.Count);
    }

    [Fact]
    public async Task a_referral_from_a_server_that_does_not_recurse_fails_the_lookup_rather_than_resolving_to_nothing()
    {
        await using var server = new TinyDnsServer();
        server.For("lab.test", q => [DnsWire.Response(q.Id, q.Name, q.Type, authority: [new Rr("test", 2, 172800, DnsWire.Name("ns1.test"))],
            recursionAvailable: false)]);
        var resolver = new DnsResolver([server.EndPoint], TimeSpan.FromSeconds(30));

        var answer = await resolver.Resolve("lab.test", v6: false, Ct);

        Assert.Equal(DnsOutcome.Failed, answer.Outcome);
        Assert.Empty(answer.Addresses);
        Assert.Contains("a referral: this resolver does not look names up", answer.Detail);
    }

    [Fact]
    public async Task a_dropped_query_times_out_and_the_next_resolver_answers()
    {
        await using var silent = new TinyDnsServer();
        await using var working = new TinyDnsServer();
        silent.For("host.test", _ => []);
        working.Answer("host.test", Rr.A("host.test", "192.0.2.1"), Rr.Aaaa("host.test", "2001:db8::1"));
        var resolver = new DnsResolver([silent.EndPoint, working.EndPoint], tryTimeout: Short);

        var (a, aaaa) = await Both(resolver, "host.test", Ct);

        Assert.Equal([Address("192.0.2.1")], a.Addresses);
        Assert.Equal([Address("2001:db8::1")], aaaa.Addresses);
        Assert.Equal(2, silent.Seen.Count);
        Assert.Equal(2, working.Seen.Count);
    }

    [Fact]
    public async Task servfail_everywhere_fails_after_every_attempt()
    {
        await using var first = new TinyDnsServer();
        await using var second = new TinyDnsServer();
        first.For("broken.test", q => [DnsWire.Response(q.Id, q.Name, q.Type, rcode: 2)]);
        second.For("broken.test", q => [DnsWire.Bare(q.Id, 2)]);
        var resolver = new DnsResolver([first.EndPoint, second.EndPoint]);

        var (a, aaaa) = await Both(resolver, "broken.test", Ct);

        foreach (var answer in new[] { a, aaaa })
        {
            Assert.Equal(DnsOutcome.Failed, answer.Outcome);
            Assert.Empty(answer.Addresses);
            Assert.Equal(TimeSpan.Zero, answer.Ttl);
            Assert.Contains("ServerFailure", answer.Detail);
        }
        Assert.Equal(4, resolver.Attempts);
        Assert.Equal(4, first.Seen.Count); // two tries per family on each
        Assert.Equal(4, second.Seen.Count);
    }

    [Fact]
    public async Task a_server_that_never_answers_fails_within_the_attempt_budget()
    {
        await using var silent = new TinyDnsServer();
        silent.For("host.test", _ => []);
        var resolver = new DnsResolver([silent.EndPoint], tryTimeout: Short, attempts: 2);

        var (answer, _) = await Both(resolver, "host.test", Ct);

        Assert.Equal(DnsOutcome.Failed, answer.Outcome);
        Assert.Contains("no answer within 1000 ms", answer.Detail);
        Assert.Contains("after 2 tries", answer.Detail);
        Assert.Equal(4, silent.Seen.Count); // two tries per family, then it gives up
    }

    [Fact]
    public async Task one_family_failing_leaves_that_family_unresolved_and_the_other_answered()
    {
        await using var server = new TinyDnsServer();
        server.Zone[("host.test", 1)] = q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: [Rr.A("host.test", "192.0.2.1", 600)])];
        server.Zone[("host.test", 28)] = _ => [];
        var resolver = new DnsResolver([server.EndPoint], tryTimeout: Short, attempts: 1);

        var (a, aaaa) = await Both(resolver, "host.test", Ct);

        Assert.Equal(DnsOutcome.Resolved, a.Outcome);
        Assert.Equal([Address("192.0.2.1")], a.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(600), a.Ttl);
        Assert.Equal("192.0.2.1 (ttl 600s)", a.ToString());
        Assert.Equal(DnsOutcome.Failed, aaaa.Outcome);
        Assert.StartsWith("unresolved: no answer within 1000 ms", aaaa.ToString());
    }

    [Fact]
    public async Task a_truncated_response_counts_as_a_failure()
    {
        await using var server = new TinyDnsServer();
        server.For("big.test", q => [DnsWire.Response(q.Id, q.Name, q.Type, truncated: true)]);
        var resolver = new DnsResolver([server.EndPoint], attempts: 1);

        var answer = await resolver.Resolve("big.test", v6: false, Ct);

        Assert.Equal(DnsOutcome.Failed, answer.Outcome);
        Assert.Contains("truncated", answer.Detail);
    }

    [Fact]
    public async Task a_malformed_response_counts_as_a_failure()
    {
        await using var server = new TinyDnsServer();
        server.For("bad.test", q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: [new Rr(q.Name, q.Type, 60, [1, 2, 3])])]);
        var resolver = new DnsResolver([server.EndPoint], attempts: 1);

        var answer = await resolver.Resolve("bad.test", v6: false, Ct);

        Assert.Equal(DnsOutcome.Failed, answer.Outcome);
        Assert.Contains("malformed", answer.Detail);
    }

    [Fact]
    public async Task forged_answers_with_another_id_or_question_are_ignored()
    {
        await using var server = new TinyDnsServer();
        server.For("host.test", q =>
        [
            DnsWire.Response((ushort)(q.Id ^ 1), q.Name, q.Type, answers: [Rr.A(q.Name, "203.0.113.66"), Rr.Aaaa(q.Name, "2001:db8::66")]),
            DnsWire.Response(q.Id, "evil.test", q.Type, answers: [Rr.A("evil.test", "203.0.113.66")]),
            [0x00, 0x01, 0x02],
            DnsWire.Response(q.Id, q.Name, q.Type, answers: q.Type == 1 ? [Rr.A(q.Name, "192.0.2.1")] : [Rr.Aaaa(q.Name, "2001:db8::1")]),
        ]);
        var resolver = new DnsResolver([server.EndPoint], attempts: 1);

        var (a, aaaa) = await Both(resolver, "host.test", Ct);

        Assert.Equal([Address("192.0.2.1")], a.Addresses);
        Assert.Equal([Address("2001:db8::1")], aaaa.Addresses);
    }

    [Fact]
    public async Task a_closed_port_moves_on_to_the_next_resolver_without_waiting_for_the_timeout()
    {
        var closed = ClosedPort();
        await using var working = new TinyDnsServer();
        working.Answer("host.test", Rr.A("host.test", "192.0.2.1"));
        // A try that waited for its timeout would outlast the test's own limit and fail it.
        var resolver = new DnsResolver([closed, working.EndPoint], tryTimeout: TimeSpan.FromHours(1));
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var answer = await resolver.Resolve("host.test", v6: false, limit.Token);

        Assert.Equal(DnsOutcome.Resolved, answer.Outcome);
        Assert.Equal([Address("192.0.2.1")], answer.Addresses);
    }

    /// <summary>
    /// A loopback UDP port nobody listens on, below the ephemeral range: a port freed from that range
    /// can be handed to a socket another test binds to port 0 meanwhile, which then swallows the
    /// query instead of the kernel answering port unreachable (seen once: the try ran into its timeout).
    /// </summary>
    private static IPEndPoint ClosedPort() => new(IPAddress.Loopback, Devices.LoopbackPorts.BelowEphemeralRange(port =>
    {
        try
        {
            using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false; // taken: try another
        }
    }));

    [Fact]
    public async Task an_invalid_name_or_no_resolvers_fails_without_asking()
    {
        await using var server = new TinyDnsServer();
        var resolver = new DnsResolver([server.EndPoint]);

        var invalid = await resolver.Resolve("a..b", v6: false, Ct);
        var none = await new DnsResolver([]).Resolve("host.test", v6: true, Ct);

        Assert.Equal(DnsOutcome.Failed, invalid.Outcome);
        Assert.Equal(DnsOutcome.Failed, none.Outcome);
        Assert.Empty(server.Seen);
    }

    [Fact]
    public async Task cancellation_throws()
    {
        await using var silent = new TinyDnsServer();
        silent.For("host.test", _ => []);
        var resolver = new DnsResolver([silent.EndPoint], tryTimeout: TimeSpan.FromSeconds(30));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resolver.Resolve("host.test", v6: false, cancel.Token));
    }

    [Fact]
    public async Task the_a_answer_comes_while_the_aaaa_query_of_the_same_name_is_still_asked()
    {
        await using var server = new TinyDnsServer();
        server.Answer("host.test", Rr.A("host.test", "192.0.2.1", 300));
        server.Zone[("host.test", 28)] = _ => []; // AAAA goes unanswered
        var resolver = new DnsResolver([server.EndPoint], tryTimeout: TimeSpan.FromMinutes(5));
        using var cancel = new CancellationTokenSource();

        var aaaa = resolver.Resolve("host.test", v6: true, cancel.Token);
        var a = await resolver.Resolve("host.test", v6: false, cancel.Token).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([Address("192.0.2.1")], a.Addresses);
        Assert.False(aaaa.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => aaaa);
    }

    [Fact]
    public async Task with_two_resolvers_an_unanswered_aaaa_query_does_not_hold_back_the_ipv4_answer()
    {
        // Two resolvers make four tries per family; the IPv4 answer must not wait for all of them.
        await using var one = new TinyDnsServer();
        await using var two = new TinyDnsServer();
        foreach (var server in new[] { one, two })
        {
            server.Answer("host.test", Rr.A("host.test", "192.0.2.1", 300));
            server.Zone[("host.test", 28)] = _ => [];
        }
        var table = new Lethe.PacketPath.Classification.HostTable(["host.test"]);
        var refresher = new HostRefresher(table, new DnsResolver([one.EndPoint, two.EndPoint], tryTimeout: TimeSpan.FromMinutes(1)));
        using var stop = new CancellationTokenSource();
        var running = refresher.Run(stop.Token);

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!table.IsResolved(0, v6: false) && !deadline.IsCancellationRequested)
        {
            await Task.Delay(20);
        }
        var resolvedV4 = table.IsResolved(0, v6: false);
        var resolvedV6 = table.IsResolved(0, v6: true);
        await stop.CancelAsync();
        await running;

        Assert.True(resolvedV4, "both resolvers answered A at once, yet IPv4 stayed unresolved while AAAA was still being asked");
        Assert.Equal([Address("192.0.2.1")], table.Answers(0, v6: false).ToArray());
        Assert.False(resolvedV6);
    }

    [Fact]
    public async Task each_family_has_slots_of_its_own_so_unanswered_aaaa_queries_do_not_hold_back_the_a_queries()
    {
        await using var server = new TinyDnsServer();
        var names = Enumerable.Range(0, 5).Select(i => $"host{i}.test").ToArray();
        foreach (var name in names)
        {
            server.Answer(name, Rr.A(name, "192.0.2.1"));
            server.Zone[(name, 28)] = _ => []; // held for the whole minute of its try
        }
        var resolver = new DnsResolver([server.EndPoint], tryTimeout: TimeSpan.FromMinutes(1), attempts: 1, concurrency: 2);
        using var cancel = new CancellationTokenSource();

        // As the refresher asks them at boot: each name's AAAA query, then its A query, in order.
        var resolving = names.Select(n => (Aaaa: resolver.Resolve(n, v6: true, cancel.Token), A: resolver.Resolve(n, v6: false, cancel.Token))).ToArray();
        var answeredV4 = await Task.WhenAll(resolving.Select(r => r.A)).WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(200); // any AAAA query beyond the two would have come by now
        var aaaaAsked = server.Seen.Count(q => q.Type == 28);
        await cancel.CancelAsync();

        Assert.All(answeredV4, a => Assert.Equal([Address("192.0.2.1")], a.Addresses));
        Assert.Equal(2, aaaaAsked);
        foreach (var task in resolving.Select(r => r.Aaaa))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        }
    }

    [Fact]
    public async Task the_host_refresher_fills_a_host_table_through_a_real_resolver()
    {
        await using var server = new TinyDnsServer();
        server.Answer("a.test", Rr.A("a.test", "192.0.2.1", 600));
        server.For("gone.test", q => [DnsWire.Response(q.Id, q.Name, q.Type, rcode: 3)]);
        server.For("broken.test", q => [DnsWire.Response(q.Id, q.Name, q.Type, rcode: 2)]);
        var table = new Lethe.PacketPath.Classification.HostTable(["a.test", "gone.test", "broken.test"]);
        var reports = new System.Collections.Concurrent.ConcurrentDictionary<string, DnsAnswer>();
        var refresher = new HostRefresher(table, new DnsResolver([server.EndPoint], attempts: 1), (name, _, answer, _) => reports[name] = answer);

        await refresher.RefreshAll(Ct);

        Assert.True(table.TryGet("a.test", out var a));
        Assert.Equal([Address("192.0.2.1")], a.ToArray());
        Assert.True(table.TryGet("gone.test", out var gone));
        Assert.True(gone.IsEmpty);
        Assert.False(table.TryGet("broken.test", out _));
        Assert.Equal(3, reports.Count);
        Assert.Equal(DnsOutcome.Failed, reports["broken.test"].Outcome);
    }
}
