using System.Net;
using Lethe.Domain.Policies;
using static Lethe.Domain.Tests.Policies;

namespace Lethe.Domain.Tests;

public class PolicyPublishTests
{
    private static Policy Draft() => Work().WithRule("work", "web", "action=accept proto=tcp dstports=443");

    [Fact]
    public void versions_are_numbered_1_2_3()
    {
        var first = Draft().Published();
        var second = first.WithRule("work", "dns", "action=accept specialtarget=dns").Published();
        var third = second.Then(p => p.RemoveRule("dns")).Published();

        Assert.Equal([1, 2, 3], new[] { first, second, third }.Select(p => p.Publishing.LatestVersion));
        Assert.Equal(3, third.Publishing.ConfirmedVersion);
    }

    [Fact]
    public void a_publish_records_the_content_hash_and_the_log_position_it_was_sealed_from()
    {
        var policy = Draft() with { Version = 7 };

        var published = policy.Publish(policy.Sha(), Noon, null, []);

        Assert.Equal(new PolicyPublished(1, policy.Sha(), 7, null), published);
    }

    [Fact]
    public void publishing_a_draft_identical_to_the_latest_version_is_refused()
    {
        var policy = Draft().Published();

        var refused = Assert.Throws<DomainException>(() => policy.Publish(policy.Sha(), Noon, null, []));

        Assert.Equal(Refusal.Conflict, refused.Refusal);
        Assert.Contains("version 1", refused.Message);
    }

    [Fact]
    public void a_draft_changed_back_to_the_latest_content_is_refused_as_identical()
    {
        var policy = Draft().Published().WithRule("work", "tmp", "action=drop").Then(p => p.RemoveRule("tmp"));

        Assert.Equal(Refusal.Conflict, Assert.Throws<DomainException>(() => policy.Publish(policy.Sha(), Noon, null, [])).Refusal);
    }

    [Fact]
    public void publishing_is_refused_when_policy_tests_fail_listing_each_failure_and_its_deciding_rule()
    {
        var policy = Draft()
            .WithRule("work", "no-ssh", "action=drop proto=tcp dstports=22", position: 0)
            .Then(p => p.AddTest(new PolicyTest("ssh-open", "work", "192.0.2.1", "tcp", 22, null, "accept")))
            .Then(p => p.AddTest(new PolicyTest("web-open", "work", "192.0.2.1", "tcp", 443, null, "accept")))
            .Then(p => p.AddTest(new PolicyTest("smtp-open", "work", "192.0.2.1", "tcp", 25, null, "accept")));
        var results = PolicyTestRunner.Run("p", policy.Draft, RuleText.Now, [IPAddress.Parse("10.139.1.1")]);

        var refused = Assert.Throws<PolicyTestsFailedException>(() => policy.Publish(policy.Sha(), Noon, null, results));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Equal(["ssh-open", "smtp-open"], refused.Failures.Select(f => f.Test.Id));
        Assert.Contains("2 policy test(s) failed", refused.Message);
        Assert.Contains("test ssh-open", refused.Message);
        Assert.Contains("by rule no-ssh", refused.Message);
        Assert.Contains("test smtp-open", refused.Message);
        Assert.Contains("no rule matched", refused.Message);
        Assert.DoesNotContain("web-open", refused.Message);
    }

    [Fact]
    public void publishing_with_passing_tests_goes_ahead()
    {
        var policy = Draft().Then(p => p.AddTest(new PolicyTest("web-open", "work", "192.0.2.1", "tcp", 443, null, "accept")));
        var results = PolicyTestRunner.Run("p", policy.Draft, RuleText.Now, []);

        Assert.Equal(1, policy.Publish(policy.Sha(), Noon, null, results).Version);
    }

    [Fact]
    public void confirm_within_is_refused_before_any_confirmed_version()
    {
        var refused = Assert.Throws<DomainException>(() => Draft().Publish(Draft().Sha(), Noon, TimeSpan.FromMinutes(5), []));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains("--confirm-within", refused.Message);
    }

    [Fact]
    public void a_commit_confirmed_publish_waits_for_confirmation_until_its_deadline()
    {
        var policy = Draft().Published().WithRule("work", "dns", "action=accept specialtarget=dns").Published(Noon, TimeSpan.FromMinutes(5));

        Assert.Equal(new PublishState(2, policy.Sha(), 1, 2, Noon.AddMinutes(5)), policy.Publishing);
    }

    [Fact]
    public void publishing_while_a_version_waits_for_confirmation_is_refused()
    {
        var pending = Draft().Published().WithRule("work", "dns", "action=accept specialtarget=dns").Published(Noon, TimeSpan.FromMinutes(5))
            .WithRule("work", "ssh", "action=accept proto=tcp dstports=22");

        var refused = Assert.Throws<DomainException>(() => pending.Publish(pending.Sha(), Noon.AddMinutes(1), null, []));

        Assert.Equal(Refusal.Conflict, refused.Refusal);
        Assert.Contains("Version 2 of policy p waits for confirmation", refused.Message);
        Assert.Contains("revert to version 1", refused.Message);
    }

    [Fact]
    public void publishing_after_the_deadline_before_the_revert_is_refused_without_asking_for_a_confirmation_that_would_be_refused()
    {
        var pending = Draft().Published().WithRule("work", "dns", "action=accept specialtarget=dns").Published(Noon, TimeSpan.FromMinutes(5))
            .WithRule("work", "ssh", "action=accept proto=tcp dstports=22");

        var refused = Assert.Throws<DomainException>(() => pending.Publish(pending.Sha(), Noon.AddMinutes(6), null, []));

        Assert.Equal(Refusal.Conflict, refused.Refusal);
        Assert.Contains("Version 2 of policy p was not confirmed by", refused.Message);
        Assert.Contains("is being reverted to version 1", refused.Message);
        Assert.DoesNotContain("lethe confirm", refused.Message);
    }

    [Fact]
    public void confirm_without_a_pending_publish_is_refused()
    {
        Assert.Equal(Refusal.Conflict, Assert.Throws<DomainException>(() => Draft().Confirm(Noon)).Refusal);
        Assert.Equal(Refusal.Conflict, Assert.Throws<DomainException>(() => Draft().Published().Confirm(Noon)).Refusal);
    }

    [Fact]
    public void confirming_makes_the_pending_version_the_confirmed_one()
    {
        var pending = Draft().Published().WithRule("work", "dns", "action=accept specialtarget=dns").Published(Noon, TimeSpan.FromMinutes(5));

        var confirmed = pending.Then(p => p.Confirm(Noon.AddMinutes(4)));

        Assert.Equal(new PublishConfirmed(2), pending.Confirm(Noon.AddMinutes(4)));
        Assert.Equal(new PublishState(2, pending.Sha(), 2, null, null), confirmed.Publishing);
        Assert.False(confirmed.IsOverdue(Noon.AddHours(1)));
    }

    [Fact]
    public void a_confirmation_after_the_deadline_is_refused_so_the_revert_still_happens()
    {
        var pending = Draft().Published().WithRule("work", "dns", "action=accept specialtarget=dns").Published(Noon, TimeSpan.FromMinutes(5));

        var refused = Assert.Throws<DomainException>(() => pending.Confirm(Noon.AddMinutes(5)));

        Assert.Equal(Refusal.Conflict, refused.Refusal);
        Assert.Contains("reverted to version 1", refused.Message);
    }

    [Fact]
    public void a_pending_publish_is_overdue_from_its_deadline_on()
    {
        var pending = Draft().Published().WithRule("work", "dns", "action=accept specialtarget=dns").Published(Noon, TimeSpan.FromMinutes(5));

        Assert.False(pending.IsOverdue(Noon.AddMinutes(5).AddTicks(-1)));
        Assert.True(pending.IsOverdue(Noon.AddMinutes(5)));
        Assert.True(pending.IsOverdue(Noon.AddHours(1)));
    }

    [Fact]
    public void a_plain_publish_is_never_overdue() =>
        Assert.False(Draft().Published().IsOverdue(Noon.AddYears(1)));

    [Fact]
    public void reverting_before_the_deadline_is_refused()
    {
        var confirmed = Draft().Published();
        var pending = confirmed.WithRule("work", "dns", "action=accept specialtarget=dns").Published(Noon, TimeSpan.FromMinutes(5));

        Assert.Equal(Refusal.Conflict, Assert.Throws<DomainException>(() => pending.RevertUnconfirmed(Noon.AddMinutes(4), confirmed.Sha(), confirmed.Draft)).Refusal);
        Assert.Equal(Refusal.Conflict, Assert.Throws<DomainException>(() => confirmed.RevertUnconfirmed(Noon.AddHours(1), confirmed.Sha(), confirmed.Draft)).Refusal);
    }

    [Fact]
    public void an_overdue_publish_is_reverted_to_the_confirmed_content_as_a_new_version()
    {
        var confirmed = Draft().Published();
        var pending = confirmed.WithRule("work", "dns", "action=accept specialtarget=dns").Published(Noon, TimeSpan.FromMinutes(5));

        var reverted = pending.RevertUnconfirmed(Noon.AddMinutes(6), confirmed.Sha(), confirmed.Draft);
        var after = pending.Fold(reverted);

        Assert.Equal((3, 2, 1), (reverted.Version, reverted.UnconfirmedVersion, reverted.RestoredVersion));
        Assert.Equal(new PublishState(3, confirmed.Sha(), 3, null, null), after.Publishing);
        Assert.Equal(["web"], after.RuleIds("work"));
        Assert.Equal(confirmed.Sha(), after.Sha());
    }

    [Fact]
    public void an_overdue_publish_whose_revert_cannot_be_made_stays_confirmed_by_the_abandonment_with_its_draft()
    {
        var confirmed = Draft().Published();
        var pending = confirmed.WithRule("work", "dns", "action=accept specialtarget=dns").Published(Noon, TimeSpan.FromMinutes(5))
            .WithRule("work", "ntp", "action=accept proto=udp dstports=123");

        var abandoned = pending.AbandonRevert(Noon.AddMinutes(6), "holds rule r-1 of client work (action=drop dsthost=10.1), which this build no longer reads");
        var after = pending.Fold(abandoned);

        Assert.Equal((2, 1), (abandoned.Version, abandoned.ToVersion));
        Assert.Equal(new PublishState(2, pending.Publishing.LatestContentSha256, 2, null, null), after.Publishing);
        Assert.False(after.IsOverdue(Noon.AddHours(1)));
        Assert.Equal(["web", "dns", "ntp"], after.RuleIds("work"));
    }

    [Fact]
    public void abandoning_a_revert_that_is_not_overdue_is_refused()
    {
        var confirmed = Draft().Published();
        var pending = confirmed.WithRule("work", "dns", "action=accept specialtarget=dns").Published(Noon, TimeSpan.FromMinutes(5));

        Assert.Equal(Refusal.Conflict, Assert.Throws<DomainException>(() => pending.AbandonRevert(Noon.AddMinutes(4), "why")).Refusal);
        Assert.Equal(Refusal.Conflict, Assert.Throws<DomainException>(() => confirmed.AbandonRevert(Noon.AddHours(1), "why")).Refusal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-1)]
    public void rolling_back_to_a_version_that_does_not_exist_is_refused_naming_it(int version)
    {
        var policy = Draft().Published().WithRule("work", "dns", "action=accept specialtarget=dns").Published();

        var refused = Assert.Throws<DomainException>(() => policy.RollBack(version, "sha", DraftContent.Empty));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains($"no version {version}", refused.Message);
        Assert.Contains("1 to 2", refused.Message);
    }

    [Fact]
    public void rolling_back_to_content_equal_to_the_latest_is_refused()
    {
        var policy = Draft().Published();

        Assert.Equal(Refusal.Conflict, Assert.Throws<DomainException>(() => policy.RollBack(1, policy.Sha(), policy.Draft)).Refusal);
    }

    [Fact]
    public void a_rollback_is_a_new_version_whose_draft_and_content_equal_the_old_one()
    {
        var first = Draft().Published();
        var second = first.WithRule("work", "dns", "action=accept specialtarget=dns").Published();

        var rolledBack = second.Then(p => p.RollBack(1, first.Sha(), first.Draft));

        Assert.Equal(new PublishState(3, first.Sha(), 3, null, null), rolledBack.Publishing);
        Assert.Equal(["web"], rolledBack.RuleIds("work"));
        Assert.Equal(first.SealableContent().Bytes, rolledBack.SealableContent().Bytes);
    }

    [Fact]
    public void a_rollback_to_the_latest_version_restores_its_draft_and_seals_nothing()
    {
        var published = Draft().Published();
        var edited = published.Then(p => p.RemoveRule("web")).WithRule("work", "again", "action=accept proto=tcp dstports=443", position: 0);

        var restored = edited.RestoreDraft(DateTimeOffset.UtcNow, 1, published.Draft);
        var after = edited.Fold(restored);

        Assert.Equal(new DraftRestored(1, published.Draft), restored);
        Assert.Equal(["web"], after.RuleIds("work"));
        Assert.Equal(published.Publishing, after.Publishing);
        Assert.Equal(Refusal.Conflict, Assert.Throws<DomainException>(() => after.Publish(after.Sha(), Noon, null, [])).Refusal);
        Assert.Equal("draft restored to version 1 (discarding unpublished changes)", EventSummary.Describe(restored));
    }

    [Fact]
    public void restoring_a_draft_left_as_the_latest_version_has_nothing_to_do()
    {
        var published = Draft().Published();
        var commented = published.Then(p => p.ReplaceRule("web", RuleText.Parse("action=accept proto=tcp dstports=443 comment=https")));

        var refused = Assert.Throws<DomainException>(() => published.RestoreDraft(DateTimeOffset.UtcNow, 1, published.Draft));

        Assert.Equal(Refusal.Conflict, refused.Refusal);
        Assert.Contains("already as version 1 left it", refused.Message);
        // A comment is no content, but it is part of the draft: restoring takes it back.
        Assert.Equal(["action=accept proto=tcp dstports=443-443"], commented.Fold(commented.RestoreDraft(DateTimeOffset.UtcNow, 1, published.Draft)).Draft.Clients[0].Rules.Select(r => r.Rule));
    }

    [Fact]
    public void only_the_latest_versions_draft_is_restored_without_a_publish()
    {
        var first = Draft().Published();
        var second = first.WithRule("work", "dns", "action=accept specialtarget=dns").Published();

        var refused = Assert.Throws<DomainException>(() => second.RestoreDraft(DateTimeOffset.UtcNow, 1, first.Draft));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
    }
}
