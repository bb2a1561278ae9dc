using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Dns;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Dns;

/// <summary>A swap copies the running table, then starts the new refresher: an answer can land in between.</summary>
public sealed class HostRefresherSwapRaceTests
{
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public async Task a_name_copied_with_one_family_does_not_inherit_the_full_ttl_of_the_answer_the_copy_missed()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resolver = new TwoStepResolver(gate.Task);
        var before = new HostTable(["x.test"]);
        var first = new HostRefresher(before, resolver, timeProvider: _time);
        var asking = first.RefreshAll(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!before.IsResolved(0, v6: false) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        Assert.True(before.IsResolved(0, v6: false));

        var after = new HostTable(["x.test"]);
        after.CopyFrom(before);
        gate.SetResult(); // the AAAA answer lands between the copy and the new refresher
        await asking;
        var second = new HostRefresher(after, resolver, timeProvider: _time, previous: first);

        Assert.False(after.IsResolved(0, v6: true));
        Assert.True(second.TimeUntilRefresh("x.test", v6: true) <= HostRefresher.FailureRetry,
            $"x.test has no IPv6 answer in the new table, yet its AAAA is asked again only in {second.TimeUntilRefresh("x.test", v6: true)}");
    }

    [Fact]
    public async Task a_name_whose_answer_changed_between_the_copy_and_the_new_refresher_does_not_keep_the_stale_addresses_for_the_new_ttl()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var before = new HostTable(["x.test"]);
        before.Set("x.test", [NetAddress.Parse("192.0.2.1"), NetAddress.Parse("2001:db8::1")]);
        var resolver = new GatedResolver(gate.Task);
        var first = new HostRefresher(before, resolver, timeProvider: _time);
        var asking = first.RefreshAll(CancellationToken.None); // x.test's TTL ran out: asked again

        var after = new HostTable(["x.test"]);
        after.CopyFrom(before);
        gate.SetResult(); // the new answer (other addresses, a day's TTL) lands between the copy and the new refresher
        await asking;
        var second = new HostRefresher(after, resolver, timeProvider: _time, previous: first);

        Assert.Equal([NetAddress.Parse("198.51.100.7")], before.Answers(0, v6: false).ToArray());
        Assert.Equal([NetAddress.Parse("192.0.2.1")], after.Answers(0, v6: false).ToArray());
        Assert.True(second.TimeUntilRefresh("x.test", v6: false) <= HostRefresher.FailureRetry,
            $"the new table still holds 192.0.2.1 for x.test (the old one 198.51.100.7), yet its A is asked again only in {second.TimeUntilRefresh("x.test", v6: false)}");
    }

    /// <summary>Answers each family, once the gate opens, with new addresses and a TTL of a day.</summary>
    private sealed class GatedResolver(Task gate) : IDnsResolver
    {
        public async Task<DnsAnswer> Resolve(string name, bool v6, CancellationToken ct)
        {
            await gate.WaitAsync(ct);
            return new DnsAnswer([NetAddress.Parse(v6 ? "2001:db8::7" : "198.51.100.7")], TimeSpan.FromDays(1), DnsOutcome.Resolved);
        }
    }

    /// <summary>Answers A at once and AAAA once the gate opens, with a TTL of a day.</summary>
    private sealed class TwoStepResolver(Task gate) : IDnsResolver
    {
        public async Task<DnsAnswer> Resolve(string name, bool v6, CancellationToken ct)
        {
            if (v6)
            {
                await gate.WaitAsync(ct);
            }
            return new DnsAnswer([NetAddress.Parse(v6 ? "2001:db8::1" : "192.0.2.1")], TimeSpan.FromDays(1), DnsOutcome.Resolved);
        }
    }
}
