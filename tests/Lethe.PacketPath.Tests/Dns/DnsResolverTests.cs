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

    [Fact]
    public async Task a_and_aaaa_are_both_asked_and_merged_with_the_smaller_ttl()
    {
        await using var server = new TinyDnsServer();
        server.Answer("host.test", Rr.A("host.test", "192.0.2.1", 300), Rr.A("host.test", "192.0.2.2", 200), Rr.Aaaa("host.test", "2001:db8::1", 120));
        var resolver = new DnsResolver([server.EndPoint]);

        var answer = await resolver.Resolve("host.test", Ct);

        Assert.Equal(DnsOutcome.Resolved, answer.Outcome);
        Assert.Equal([Address("192.0.2.1"), Address("192.0.2.2"), Address("2001:db8::1")], answer.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(120), answer.Ttl);
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

        var answer = await resolver.Resolve("www.test", Ct);

        Assert.Equal(DnsOutcome.Resolved, answer.Outcome);
        Assert.Equal([Address("198.51.100.7")], answer.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(60), answer.Ttl);
    }

    [Fact]
    public async Task a_name_with_only_ipv4_addresses_is_resolved_without_ipv6()
    {
        await using var server = new TinyDnsServer();
        server.Zone[("v4only.test", 1)] = q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: [Rr.A("v4only.test", "192.0.2.4", 600)])];
        server.Zone[("v4only.test", 28)] = q => [DnsWire.Response(q.Id, q.Name, q.Type, authority: [Rr.Soa("test", 3600, 300)])];
        var resolver = new DnsResolver([server.EndPoint]);

        var answer = await resolver.Resolve("v4only.test", Ct);

        Assert.Equal(DnsOutcome.Resolved, answer.Outcome);
        Assert.Equal([Address("192.0.2.4")], answer.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(300), answer.Ttl);
    }

    [Fact]
    public async Task nxdomain_for_both_families_is_a_name_error_and_is_not_retried()
    {
        await using var server = new TinyDnsServer();
        server.For("gone.test", q => [DnsWire.Response(q.Id, q.Name, q.Type, rcode: 3, authority: [Rr.Soa("test", 3600, 45)])]);
        var resolver = new DnsResolver([server.EndPoint]);

        var answer = await resolver.Resolve("gone.test", Ct);

        Assert.Equal(DnsOutcome.NameError, answer.Outcome);
        Assert.Empty(answer.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(45), answer.Ttl);
        Assert.Equal(2, server.Seen.Count);
    }

    [Fact]
    public async Task a_referral_from_a_server_that_does_not_recurse_fails_the_lookup_rather_than_resolving_to_nothing()
    {
        await using var server = new TinyDnsServer();
        server.For("lab.test", q => [DnsWire.Response(q.Id, q.Name, q.Type, authority: [new Rr("test", 2, 172800, DnsWire.Name("ns1.test"))],
            recursionAvailable: false)]);
        var resolver = new DnsResolver([server.EndPoint], TimeSpan.FromSeconds(30));

        var answer = await resolver.Resolve("lab.test", Ct);

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

        var answer = await resolver.Resolve("host.test", Ct);

        Assert.Equal(DnsOutcome.Resolved, answer.Outcome);
        Assert.Equal(2, answer.Addresses.Length);
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

        var answer = await resolver.Resolve("broken.test", Ct);

        Assert.Equal(DnsOutcome.Failed, answer.Outcome);
        Assert.Empty(answer.Addresses);
        Assert.Equal(TimeSpan.Zero, answer.Ttl);
        Assert.Contains("ServerFailure", answer.Detail);
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

        var answer = await resolver.Resolve("host.test", Ct);

        Assert.Equal(DnsOutcome.Failed, answer.Outcome);
        Assert.Contains("no answer within 1000 ms", answer.Detail);
        Assert.Contains("after 2 tries", answer.Detail);
        Assert.Equal(4, silent.Seen.Count); // two tries per family, then it gives up
    }

    [Fact]
    public async Task one_family_failing_leaves_that_family_unresolved_and_keeps_the_others_answer()
    {
        await using var server = new TinyDnsServer();
        server.Zone[("host.test", 1)] = q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: [Rr.A("host.test", "192.0.2.1", 600)])];
        server.Zone[("host.test", 28)] = _ => [];
        var resolver = new DnsResolver([server.EndPoint], tryTimeout: Short, attempts: 1);

        var answer = await resolver.Resolve("host.test", Ct);

        Assert.Equal(DnsOutcome.Resolved, answer.Outcome);
        Assert.Equal(DnsFamilies.V6, answer.FailedFamilies);
        Assert.Equal([Address("192.0.2.1")], answer.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(600), answer.Ttl);
        Assert.StartsWith("AAAA:", answer.Detail);
        Assert.StartsWith("192.0.2.1, for IPv4 only", answer.ToString());
    }

    [Fact]
    public async Task both_families_failing_fail_the_name()
    {
        await using var server = new TinyDnsServer();
        server.For("host.test", q => [DnsWire.Response(q.Id, q.Name, q.Type, rcode: 2)]);
        var resolver = new DnsResolver([server.EndPoint], attempts: 1);

        var answer = await resolver.Resolve("host.test", Ct);

        Assert.Equal(DnsOutcome.Failed, answer.Outcome);
        Assert.Equal(DnsFamilies.Both, answer.FailedFamilies);
        Assert.Contains("A: ", answer.Detail);
        Assert.Contains("; AAAA: ", answer.Detail);
    }

    [Fact]
    public async Task a_truncated_response_counts_as_a_failure()
    {
        await using var server = new TinyDnsServer();
        server.For("big.test", q => [DnsWire.Response(q.Id, q.Name, q.Type, truncated: true)]);
        var resolver = new DnsResolver([server.EndPoint], attempts: 1);

        var answer = await resolver.Resolve("big.test", Ct);

        Assert.Equal(DnsOutcome.Failed, answer.Outcome);
        Assert.Contains("truncated", answer.Detail);
    }

    [Fact]
    public async Task a_malformed_response_counts_as_a_failure()
    {
        await using var server = new TinyDnsServer();
        server.For("bad.test", q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: [new Rr(q.Name, q.Type, 60, [1, 2, 3])])]);
        var resolver = new DnsResolver([server.EndPoint], attempts: 1);

        var answer = await resolver.Resolve("bad.test", Ct);

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

        var answer = await resolver.Resolve("host.test", Ct);

        Assert.Equal(DnsOutcome.Resolved, answer.Outcome);
        Assert.Equal([Address("192.0.2.1"), Address("2001:db8::1")], answer.Addresses);
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

        var answer = await resolver.Resolve("host.test", limit.Token);

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

        var invalid = await resolver.Resolve("a..b", Ct);
        var none = await new DnsResolver([]).Resolve("host.test", Ct);

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

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resolver.Resolve("host.test", cancel.Token));
    }

    [Fact]
    public async Task the_first_family_to_answer_is_handed_over_while_the_other_is_still_asked()
    {
        await using var server = new TinyDnsServer();
        server.Answer("host.test", Rr.A("host.test", "192.0.2.1", 300));
        server.Zone[("host.test", 28)] = _ => []; // AAAA goes unanswered
        var resolver = new DnsResolver([server.EndPoint], tryTimeout: TimeSpan.FromMinutes(5));
        var early = new TaskCompletionSource<DnsAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();

        var resolving = resolver.Resolve("host.test", cancel.Token, answer => early.TrySetResult(answer));
        var first = await early.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([Address("192.0.2.1")], first.Addresses);
        Assert.Equal(DnsFamilies.V6, first.FailedFamilies); // not known yet: left as it was
        Assert.False(resolving.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resolving);
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
        var answeredV4 = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var cancel = new CancellationTokenSource();

        var resolving = names.Select(n => resolver.Resolve(n, cancel.Token, _ => answeredV4.Add(n))).ToArray();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (answeredV4.Count < names.Length && !deadline.IsCancellationRequested)
        {
            await Task.Delay(20);
        }
        await Task.Delay(200); // any AAAA query beyond the two would have come by now
        var aaaaAsked = server.Seen.Count(q => q.Type == 28);
        await cancel.CancelAsync();

        Assert.Equal(names.Order(), answeredV4.Order());
        Assert.Equal(2, aaaaAsked);
        foreach (var task in resolving)
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
        var refresher = new HostRefresher(table, new DnsResolver([server.EndPoint], attempts: 1), (name, answer, _) => reports[name] = answer);

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
