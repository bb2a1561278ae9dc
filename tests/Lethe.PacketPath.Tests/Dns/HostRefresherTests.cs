using System.Threading.Channels;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Dns;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Dns;

public sealed class HostRefresherTests : IAsyncDisposable
{
    private readonly ManualTimeProvider _time = new();
    private readonly FakeResolver _resolver = new();
    private readonly Channel<(string Name, bool V6, DnsAnswer Answer, TimeSpan AskedAgainIn)> _reports =
        Channel.CreateUnbounded<(string, bool, DnsAnswer, TimeSpan)>();
    private readonly CancellationTokenSource _stop = new();
    private Task? _running;

    private static NetAddress Address(string text) => NetAddress.Parse(text);

    private HostRefresher Refresher(HostTable table) =>
        new(table, _resolver, (name, v6, answer, again) => _reports.Writer.TryWrite((name, v6, answer, again)), _time);

    private void StartRunning(HostRefresher refresher) => _running = refresher.Run(_stop.Token);

    /// <summary>The next report, waiting in real time (the refresher works on worker threads).</summary>
    private async Task<(string Name, bool V6, DnsAnswer Answer, TimeSpan AskedAgainIn)> NextReport()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _reports.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>The reports of a name's two families, both asked at once: the A one first.</summary>
    private async Task<(DnsAnswer A, DnsAnswer Aaaa)> NextTwoReports()
    {
        var (first, second) = (await NextReport(), await NextReport());
        Assert.Equal(first.Name, second.Name);
        Assert.Equal((false, true), (first.V6, second.V6));
        return (first.Answer, second.Answer);
    }

    /// <summary>Up to <paramref name="count"/> reports, as many as come within 10 s of real time.</summary>
    private async Task<(string Name, bool V6, DnsAnswer Answer, TimeSpan AskedAgainIn)[]> ReportsWithin(int count)
    {
        var reports = new List<(string, bool, DnsAnswer, TimeSpan)>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (reports.Count < count)
            {
                reports.Add(await _reports.Reader.ReadAsync(timeout.Token));
            }
        }
        catch (OperationCanceledException)
        {
        }
        return [.. reports];
    }

    private void DrainReports()
    {
        while (_reports.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>Moves the clock once the refresher sleeps on it.</summary>
    private async Task Advance(TimeSpan by)
    {
        await _time.WaitForSleeper();
        _time.Advance(by);
    }

    private static NetAddress[] Answer(HostTable table, string name)
    {
        Assert.True(table.TryGet(name, out var addresses), $"{name} is unresolved");
        return addresses.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
        {
            await _running;
        }
        _stop.Dispose();
    }

    [Fact]
    public async Task the_initial_resolution_fills_the_host_table()
    {
        var table = new HostTable(["a.test", "gone.test", "broken.test"]);
        _resolver.Resolves("a.test", TimeSpan.FromSeconds(300), "192.0.2.1", "2001:db8::1");
        _resolver.Answers["gone.test"] = new DnsAnswer([], TimeSpan.FromSeconds(120), DnsOutcome.NameError);
        var refresher = Refresher(table);

        await refresher.RefreshAll(CancellationToken.None);

        Assert.Equal([Address("192.0.2.1"), Address("2001:db8::1")], Answer(table, "a.test"));
        Assert.Empty(Answer(table, "gone.test")); // resolved to nothing
        Assert.False(table.TryGet("broken.test", out _)); // unresolved
        Assert.Equal(TimeSpan.FromSeconds(300), refresher.TimeUntilRefresh("a.test"));
        Assert.Equal(TimeSpan.FromSeconds(120), refresher.TimeUntilRefresh("gone.test"));
        Assert.Equal(HostRefresher.FailureRetry, refresher.TimeUntilRefresh("broken.test"));
        Assert.Null(refresher.TimeUntilRefresh("elsewhere.test"));

        var reported = new Dictionary<string, DnsOutcome>();
        for (var i = 0; i < 6; i++)
        {
            var (name, _, answer, _) = await NextReport();
            reported[name] = answer.Outcome;
        }
        Assert.Equal(DnsOutcome.Resolved, reported["a.test"]);
        Assert.Equal(DnsOutcome.NameError, reported["gone.test"]);
        Assert.Equal(DnsOutcome.Failed, reported["broken.test"]);
    }

    [Fact]
    public async Task ttls_are_clamped_between_thirty_seconds_and_a_day()
    {
        var table = new HostTable(["short.test", "long.test", "zero.test"]);
        _resolver.Resolves("short.test", TimeSpan.FromSeconds(5), "192.0.2.1");
        _resolver.Resolves("long.test", TimeSpan.FromDays(10), "192.0.2.2");
        _resolver.Resolves("zero.test", TimeSpan.Zero);
        var refresher = Refresher(table);

        await refresher.RefreshAll(CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(30), refresher.TimeUntilRefresh("short.test"));
        Assert.Equal(TimeSpan.FromDays(1), refresher.TimeUntilRefresh("long.test"));
        Assert.Equal(TimeSpan.FromSeconds(30), refresher.TimeUntilRefresh("zero.test"));
        Assert.Empty(Answer(table, "zero.test"));
        Assert.Equal(TimeSpan.FromMinutes(5), HostRefresher.ClampTtl(TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task each_report_gives_the_wait_until_that_family_is_asked_again_not_the_record_ttl()
    {
        var table = new HostTable(["short.test", "long.test", "half.test", "broken.test"]);
        _resolver.Resolves("short.test", TimeSpan.Zero, "192.0.2.1");
        _resolver.Resolves("long.test", TimeSpan.FromDays(10), "192.0.2.2");
        _resolver.Resolves("half.test", TimeSpan.FromHours(1), "192.0.2.3");
        _resolver.FailsFamily("half.test", v6: true);
        var refresher = Refresher(table);

        await refresher.RefreshAll(CancellationToken.None);

        var reported = new Dictionary<(string, bool), (TimeSpan Ttl, TimeSpan AskedAgainIn)>();
        for (var i = 0; i < 8; i++)
        {
            var (name, v6, answer, again) = await NextReport();
            reported[(name, v6)] = (answer.Ttl, again);
            Assert.Equal(refresher.TimeUntilRefresh(name, v6), again);
        }
        Assert.Equal((TimeSpan.Zero, HostRefresher.MinimumTtl), reported[("short.test", false)]);
        Assert.Equal((TimeSpan.FromDays(10), HostRefresher.MaximumTtl), reported[("long.test", true)]);
        Assert.Equal((TimeSpan.FromHours(1), TimeSpan.FromHours(1)), reported[("half.test", false)]); // its own TTL, whatever AAAA did
        Assert.Equal((TimeSpan.Zero, HostRefresher.FailureRetry), reported[("half.test", true)]);
        Assert.Equal((TimeSpan.Zero, HostRefresher.FailureRetry), reported[("broken.test", false)]);
    }

    [Fact]
    public async Task a_name_that_does_not_exist_is_asked_again_within_the_same_ttl_bounds()
    {
        // An NXDOMAIN with TTL 0 must not make the name be asked over and over.
        var table = new HostTable(["gone-now.test", "gone-long.test"]);
        _resolver.Answers["gone-now.test"] = new DnsAnswer([], TimeSpan.Zero, DnsOutcome.NameError);
        _resolver.Answers["gone-long.test"] = new DnsAnswer([], TimeSpan.FromDays(30), DnsOutcome.NameError);
        var refresher = Refresher(table);

        await refresher.RefreshAll(CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(30), refresher.TimeUntilRefresh("gone-now.test"));
        Assert.Equal(TimeSpan.FromDays(1), refresher.TimeUntilRefresh("gone-long.test"));
    }

    [Fact]
    public async Task after_the_ttl_runs_out_a_changed_answer_replaces_the_old_one()
    {
        var table = new HostTable(["a.test"]);
        _resolver.Resolves("a.test", TimeSpan.FromSeconds(300), "192.0.2.1");
        var refresher = Refresher(table);
        await refresher.RefreshAll(CancellationToken.None);
        DrainReports();
        _resolver.Resolves("a.test", TimeSpan.FromSeconds(300), "192.0.2.2");
        StartRunning(refresher);

        await Advance(TimeSpan.FromSeconds(299));
        Assert.Equal([Address("192.0.2.1")], Answer(table, "a.test"));
        Assert.Equal(1, _resolver.Calls[("a.test", false)]);

        _time.Advance(TimeSpan.FromSeconds(1));
        var (answer, _) = await NextTwoReports();

        Assert.Equal(DnsOutcome.Resolved, answer.Outcome);
        Assert.Equal([Address("192.0.2.2")], Answer(table, "a.test"));
        Assert.Equal(2, _resolver.Calls[("a.test", false)]);
    }

    [Fact]
    public async Task a_failing_resolver_keeps_the_previous_answer_and_retries_after_thirty_seconds()
    {
        var table = new HostTable(["a.test"]);
        _resolver.Resolves("a.test", TimeSpan.FromSeconds(60), "192.0.2.1");
        var refresher = Refresher(table);
        await refresher.RefreshAll(CancellationToken.None);
        DrainReports();
        _resolver.Fails("a.test");
        StartRunning(refresher);

        await Advance(TimeSpan.FromSeconds(60));
        var failed = await NextTwoReports();

        Assert.Equal((DnsOutcome.Failed, DnsOutcome.Failed), (failed.A.Outcome, failed.Aaaa.Outcome));
        Assert.Equal([Address("192.0.2.1")], Answer(table, "a.test")); // stale, not blocked
        Assert.Equal(TimeSpan.FromSeconds(30), refresher.TimeUntilRefresh("a.test"));

        _resolver.Resolves("a.test", TimeSpan.FromSeconds(60), "192.0.2.3");
        await Advance(TimeSpan.FromSeconds(30));
        var recovered = await NextTwoReports();

        Assert.Equal(DnsOutcome.Resolved, recovered.A.Outcome);
        Assert.Equal([Address("192.0.2.3")], Answer(table, "a.test"));
    }

    [Fact]
    public async Task after_a_resume_an_answer_whose_ttl_ran_out_during_the_suspend_is_asked_again_within_seconds()
    {
        var table = new HostTable(["a.test", "long.test"]);
        _resolver.Resolves("a.test", TimeSpan.FromMinutes(10), "192.0.2.1");
        _resolver.Resolves("long.test", TimeSpan.FromDays(1), "192.0.2.5");
        var refresher = Refresher(table);
        await refresher.RefreshAll(CancellationToken.None);
        DrainReports();
        _resolver.Resolves("a.test", TimeSpan.FromMinutes(10), "192.0.2.2");
        StartRunning(refresher);
        await Advance(TimeSpan.FromMinutes(1));
        await _time.WaitForSleeper();

        _time.Suspend(TimeSpan.FromHours(8)); // the lid closed overnight: no timer ran
        await Advance(TimeSpan.FromSeconds(5));
        var resumed = await ReportsWithin(2);

        Assert.True(resumed.Length == 2, "a.test, whose 10 min TTL ran out during an 8 h suspend, was not asked again within 5 s of the resume");
        Assert.All(resumed, r => Assert.Equal("a.test", r.Name));
        Assert.Equal([Address("192.0.2.2")], Answer(table, "a.test"));
        Assert.Equal(TimeSpan.FromMinutes(10), refresher.TimeUntilRefresh("a.test"));
        // A TTL the suspend did not use up is not asked early, and counts the suspended time.
        Assert.Equal(1, _resolver.Calls[("long.test", false)]);
        Assert.Equal(TimeSpan.FromDays(1) - TimeSpan.FromHours(8) - TimeSpan.FromMinutes(1) - TimeSpan.FromSeconds(5),
            refresher.TimeUntilRefresh("long.test"));
    }

    [Fact]
    public async Task after_a_resume_with_no_resolver_answering_the_old_answer_is_kept_and_asked_for_every_thirty_seconds()
    {
        var table = new HostTable(["a.test"]);
        _resolver.Resolves("a.test", TimeSpan.FromMinutes(10), "192.0.2.1");
        var refresher = Refresher(table);
        await refresher.RefreshAll(CancellationToken.None);
        DrainReports();
        _resolver.Fails("a.test"); // the network is not back yet
        StartRunning(refresher);
        await _time.WaitForSleeper();

        _time.Suspend(TimeSpan.FromHours(8));
        await Advance(TimeSpan.FromSeconds(5));
        var failed = await ReportsWithin(2);

        Assert.True(failed.Length == 2, "a.test was not asked again within 5 s of the resume");
        Assert.All(failed, r => Assert.Equal(DnsOutcome.Failed, r.Answer.Outcome));
        Assert.Equal([Address("192.0.2.1")], Answer(table, "a.test")); // stale, not blocked
        Assert.Equal(HostRefresher.FailureRetry, refresher.TimeUntilRefresh("a.test"));

        _resolver.Resolves("a.test", TimeSpan.FromMinutes(10), "192.0.2.2");
        for (var waited = TimeSpan.Zero; waited < HostRefresher.FailureRetry; waited += TimeSpan.FromSeconds(5))
        {
            await Advance(TimeSpan.FromSeconds(5));
        }
        var (answered, _) = await NextTwoReports();

        Assert.Equal(DnsOutcome.Resolved, answered.Outcome);
        Assert.Equal([Address("192.0.2.2")], Answer(table, "a.test"));
    }

    [Fact]
    public async Task a_family_whose_query_fails_keeps_its_previous_answer_while_the_other_is_replaced()
    {
        var table = new HostTable(["a.test", "new.test"]);
        _resolver.Resolves("a.test", TimeSpan.FromSeconds(300), "192.0.2.1", "2001:db8::1");
        var refresher = Refresher(table);
        await refresher.RefreshAll(CancellationToken.None);
        var id = table.Names.IdOf("new.test");
        _resolver.Resolves("a.test", TimeSpan.FromSeconds(300), "192.0.2.9");
        _resolver.FailsFamily("a.test", v6: true);
        _resolver.Resolves("new.test", TimeSpan.FromSeconds(300), "192.0.2.5");
        _resolver.FailsFamily("new.test", v6: true);

        await refresher.RefreshAll(CancellationToken.None);

        Assert.Equal([Address("192.0.2.9"), Address("2001:db8::1")], Answer(table, "a.test")); // IPv6 stale, not blocked
        Assert.Equal([Address("192.0.2.5")], Answer(table, "new.test"));
        Assert.True(table.IsResolved(id, v6: false));
        Assert.False(table.IsResolved(id, v6: true)); // never answered for IPv6: unresolved there
        Assert.Equal(HostRefresher.FailureRetry, refresher.TimeUntilRefresh("new.test", v6: true));
        Assert.Equal(TimeSpan.FromSeconds(300), refresher.TimeUntilRefresh("new.test", v6: false)); // A on its own TTL
    }

    [Fact]
    public async Task a_name_that_never_resolves_stays_unresolved()
    {
        var table = new HostTable(["broken.test"]);
        var refresher = Refresher(table);
        await refresher.RefreshAll(CancellationToken.None);
        DrainReports();
        StartRunning(refresher);

        for (var i = 0; i < 3; i++)
        {
            await Advance(HostRefresher.FailureRetry);
            var (a, aaaa) = await NextTwoReports();
            Assert.Equal((DnsOutcome.Failed, DnsOutcome.Failed), (a.Outcome, aaaa.Outcome));
            Assert.False(table.TryGet("broken.test", out _));
        }
        Assert.Equal(4, _resolver.Calls[("broken.test", false)]);
        Assert.Equal(4, _resolver.Calls[("broken.test", true)]);
    }

    [Fact]
    public async Task each_name_is_refreshed_on_its_own_ttl()
    {
        var table = new HostTable(["fast.test", "slow.test"]);
        _resolver.Resolves("fast.test", TimeSpan.FromSeconds(60), "192.0.2.1");
        _resolver.Resolves("slow.test", TimeSpan.FromSeconds(600), "192.0.2.2");
        var refresher = Refresher(table);
        await refresher.RefreshAll(CancellationToken.None);
        DrainReports();
        StartRunning(refresher);

        for (var i = 1; i <= 9; i++)
        {
            await Advance(TimeSpan.FromSeconds(60));
            Assert.Equal(["fast.test", "fast.test"], new[] { (await NextReport()).Name, (await NextReport()).Name });
        }
        await Advance(TimeSpan.FromSeconds(60));
        var both = new string[4];
        for (var i = 0; i < 4; i++)
        {
            both[i] = (await NextReport()).Name;
        }

        Assert.Equal(["fast.test", "fast.test", "slow.test", "slow.test"], both.Order());
        Assert.Equal(11, _resolver.Calls[("fast.test", false)]);
        Assert.Equal(2, _resolver.Calls[("slow.test", true)]);
    }

    [Fact]
    public async Task run_alone_resolves_every_name_first_and_returns_when_cancelled()
    {
        var table = new HostTable(["a.test", "b.test"]);
        _resolver.Resolves("a.test", TimeSpan.FromSeconds(60), "192.0.2.1");
        _resolver.Resolves("b.test", TimeSpan.FromSeconds(60), "2001:db8::2");
        var refresher = Refresher(table);
        Assert.Equal(TimeSpan.Zero, refresher.TimeUntilRefresh("a.test"));

        using var stop = new CancellationTokenSource();
        var run = refresher.Run(stop.Token);
        for (var i = 0; i < 4; i++)
        {
            await NextReport();
        }
        await _time.WaitForSleeper();

        Assert.Equal([Address("192.0.2.1")], Answer(table, "a.test"));
        Assert.Equal([Address("2001:db8::2")], Answer(table, "b.test"));

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(run.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task a_throwing_resolver_or_callback_does_not_stop_the_refreshing()
    {
        var table = new HostTable(["a.test"]);
        var calls = new int[2]; // A, AAAA
        var resolver = new DelegateResolver(v6 => ++calls[v6 ? 1 : 0] == 1
            ? throw new InvalidOperationException("boom")
            : new DnsAnswer(v6 ? [] : [Address("192.0.2.1")], TimeSpan.FromSeconds(60), DnsOutcome.Resolved));
        var refresher = new HostRefresher(table, resolver, (_, _, _, _) => throw new InvalidOperationException("printing failed"), _time);

        await refresher.RefreshAll(CancellationToken.None);
        Assert.False(table.TryGet("a.test", out _));
        StartRunning(refresher);
        await Advance(HostRefresher.FailureRetry);
        await _time.WaitForSleeper();

        Assert.Equal([2, 2], calls);
        Assert.Equal([Address("192.0.2.1")], Answer(table, "a.test"));
        Assert.Equal(TimeSpan.FromSeconds(60), refresher.TimeUntilRefresh("a.test"));
    }

    [Fact]
    public async Task after_a_swap_the_names_without_an_answer_are_asked_first_and_the_rest_keep_their_schedule()
    {
        var old = Enumerable.Range(0, 40).Select(i => $"site{i}.test").ToArray();
        var before = new HostTable(old);
        foreach (var name in old)
        {
            _resolver.Resolves(name, TimeSpan.FromSeconds(300), "192.0.2.1");
        }
        var first = Refresher(before);
        await first.RefreshAll(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(100));

        // The swapped-in version adds a name; asking a known one again would hang until cancelled.
        var after = new HostTable([.. old, "new.test"]);
        after.CopyFrom(before);
        var asked = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var resolver = AnswersOnlyNewTest(asked);
        var second = new HostRefresher(after, resolver, timeProvider: _time, previous: first);
        Assert.Equal(TimeSpan.FromSeconds(200), second.TimeUntilRefresh("site0.test"));
        Assert.False(second.FirstAnswers.IsCompleted);
        _running = second.Run(_stop.Token);

        await second.FirstAnswers.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([Address("198.51.100.9")], Answer(after, "new.test"));
        Assert.Equal(["new.test", "new.test"], asked); // its A, then its AAAA
        Assert.Equal([Address("192.0.2.1")], Answer(after, "site39.test"));
    }

    [Fact]
    public async Task after_a_swap_a_name_answered_for_one_family_only_keeps_its_schedule_and_is_not_waited_for()
    {
        // Resolvers that answer A but never AAAA: every name was asked, and is unresolved for IPv6 only.
        var old = Enumerable.Range(0, 20).Select(i => $"site{i}.test").ToArray();
        var before = new HostTable(old);
        foreach (var name in old)
        {
            _resolver.Resolves(name, TimeSpan.FromSeconds(300), "192.0.2.1");
            _resolver.FailsFamily(name, v6: true);
        }
        var first = Refresher(before);
        await first.RefreshAll(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(10));

        var after = new HostTable([.. old, "new.test"]);
        after.CopyFrom(before);
        var asked = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var resolver = AnswersOnlyNewTest(asked);
        var second = new HostRefresher(after, resolver, timeProvider: _time, previous: first);
        Assert.Equal(HostRefresher.FailureRetry - TimeSpan.FromSeconds(10), second.TimeUntilRefresh("site0.test", v6: true));
        Assert.Equal(TimeSpan.FromSeconds(290), second.TimeUntilRefresh("site0.test", v6: false));
        _running = second.Run(_stop.Token);

        await second.FirstAnswers.WaitAsync(TimeSpan.FromSeconds(10));
        await _time.WaitForSleeper();
        Assert.Equal(["new.test", "new.test"], asked);
        Assert.Equal([Address("192.0.2.1")], Answer(after, "site19.test"));
    }

    [Fact]
    public async Task without_the_refresher_before_a_swap_asks_the_unanswered_names_ahead_of_the_ones_it_copied()
    {
        var old = Enumerable.Range(0, 40).Select(i => $"site{i}.test").ToArray();
        var before = new HostTable(old);
        foreach (var name in old)
        {
            before.Set(name, [Address("192.0.2.1")]);
        }
        var after = new HostTable([.. old, "new.test"]);
        after.CopyFrom(before);
        var resolver = AnswersOnlyNewTest(new System.Collections.Concurrent.ConcurrentQueue<string>());
        var refresher = new HostRefresher(after, resolver, timeProvider: _time);
        _running = refresher.Run(_stop.Token);

        await refresher.FirstAnswers.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([Address("198.51.100.9")], Answer(after, "new.test"));
    }

    /// <summary>Answers new.test (198.51.100.9) at once and never answers any other name; notes each name asked.</summary>
    private static WaitingResolver AnswersOnlyNewTest(System.Collections.Concurrent.ConcurrentQueue<string> asked) => new(async (name, ct) =>
    {
        asked.Enqueue(name);
        if (name != "new.test")
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        return new DnsAnswer([Address("198.51.100.9")], TimeSpan.FromSeconds(300), DnsOutcome.Resolved);
    });

    private sealed class WaitingResolver(Func<string, CancellationToken, Task<DnsAnswer>> resolve) : IDnsResolver
    {
        public Task<DnsAnswer> Resolve(string name, bool v6, CancellationToken ct) => resolve(name, ct);
    }

    private sealed class DelegateResolver(Func<bool, DnsAnswer> resolve) : IDnsResolver
    {
        public Task<DnsAnswer> Resolve(string name, bool v6, CancellationToken ct) => Task.FromResult(resolve(v6));
    }
}
