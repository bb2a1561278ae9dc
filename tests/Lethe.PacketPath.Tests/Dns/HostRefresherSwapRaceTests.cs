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
        Assert.True(second.TimeUntilRefresh("x.test") <= HostRefresher.FailureRetry,
            $"x.test has no IPv6 answer in the new table, yet is asked again only in {second.TimeUntilRefresh("x.test")}");
    }

    /// <summary>Gives the A answer at once (as the first family) and both once the gate opens, with a TTL of a day.</summary>
    private sealed class TwoStepResolver(Task gate) : IDnsResolver
    {
        public async Task<DnsAnswer> Resolve(string name, CancellationToken ct, Action<DnsAnswer>? firstFamily = null)
        {
            firstFamily?.Invoke(new DnsAnswer([NetAddress.Parse("192.0.2.1")], TimeSpan.FromDays(1), DnsOutcome.Resolved, "AAAA: still asking")
                { FailedFamilies = DnsFamilies.V6 });
            await gate.WaitAsync(ct);
            return new DnsAnswer([NetAddress.Parse("192.0.2.1"), NetAddress.Parse("2001:db8::1")], TimeSpan.FromDays(1), DnsOutcome.Resolved);
        }
    }
}
