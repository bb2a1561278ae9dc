using Lethe.TestSupport;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public class CommitConfirmedAcrossRestartTests
{
    [Fact]
    public async Task a_control_plane_restarted_after_the_deadline_still_reverts_the_unconfirmed_publish()
    {
        var first = await ControlPlaneHost.Start();
        ControlPlaneHost? second = null;
        try
        {
            using var editor = first.Client();
            var (v1, v2, added) = await CommitConfirmedTests.PublishPending(editor, "restart", seconds: 5);
            await first.Stop();
            var eventsWhenStopped = await first.Database.Count(TestDatabase.PolicyEventCount);
            Assert.Equal(2, await first.Database.Count("select count(*) from lethe.mt_doc_snapshotdocument"));

            var deadline = DateTimeOffset.Parse(v2["confirmBy"].Str(), System.Globalization.CultureInfo.InvariantCulture);
            var wait = deadline - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            Assert.Equal(eventsWhenStopped, await first.Database.Count(TestDatabase.PolicyEventCount));

            second = await ControlPlaneHost.Start(first.Database, keyDir: first.KeyDirectory);
            using var again = second.Client();
            var reverted = await Eventually.Holds(async () => (await again.Policy("restart"))["latestVersion"]!.GetValue<int>() >= 3);

            Assert.True(reverted, "the restarted control plane did not revert the overdue publish within 15 s");
            var snapshots = await again.Snapshots("restart");
            Assert.Equal(new[] { 1, 2, 3 }, snapshots.Select(s => s!["version"]!.GetValue<int>()));
            Assert.Equal(v1["contentSha256"].Str(), snapshots[2]!["contentSha256"].Str());
            var entry = (await again.History("restart")).Single(e => e!["version"]?.GetValue<int>() == 3)!;
            Assert.Equal("not confirmed in time", entry["reason"].Str());
            Assert.DoesNotContain(added, await again.RuleIds("restart", "work"));
        }
        finally
        {
            // Both hosts share one database and key folder: only one of them may drop them.
            if (second is not null)
            {
                await second.DisposeAsync();
            }
            else
            {
                await first.DisposeAsync();
            }
        }
    }
}
