using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;
using static Lethe.Domain.Tests.Snapshots;

namespace Lethe.Domain.Tests;

public class SnapshotContentTests
{
    [Fact]
    public void the_same_draft_always_gives_the_same_content_bytes_and_hash()
    {
        var first = SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("p", SampleDraft()));
        var second = SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("p", SampleDraft()));

        Assert.Equal(first, second);
        Assert.Equal(SnapshotCodec.Sha256Hex(first), SnapshotCodec.Sha256Hex(second));
    }

    [Fact]
    public void sealing_the_same_draft_twice_gives_the_same_content_and_hash()
    {
        using var key = NewKey();

        var first = Seal(key);
        var second = Seal(key);

        Assert.Equal(first.Content, second.Content);
        Assert.Equal(first.ContentSha256, second.ContentSha256);
        Assert.Equal(SnapshotCodec.Sha256Hex(Convert.FromBase64String(first.Content)), first.ContentSha256);
    }

    [Fact]
    public void a_different_draft_gives_a_different_hash()
    {
        var changed = SampleDraft().WithClient(new ClientDraft("work", ["10.137.0.10", "fd00:137::10"], [new DraftRule("web", "action=drop")]));

        Assert.NotEqual(
            SnapshotCodec.Sha256Hex(SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("p", SampleDraft()))),
            SnapshotCodec.Sha256Hex(SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("p", changed))));
    }

    [Fact]
    public void comments_never_reach_the_snapshot_content()
    {
        using var key = NewKey();

        var verified = SnapshotVerifier.Verify(File(key), Pem(key));

        Assert.Equal("action=accept proto=tcp dstports=443-443", verified.Content.Clients[0].Rules[0].Rule);
        Assert.DoesNotContain("browsing", System.Text.Encoding.UTF8.GetString(verified.ContentBytes));
        Assert.DoesNotContain("comment", System.Text.Encoding.UTF8.GetString(verified.ContentBytes));
    }

    [Fact]
    public void a_draft_differing_only_in_comments_seals_to_the_same_content()
    {
        var recommented = SampleDraft().WithClient(new ClientDraft("work", ["10.137.0.10", "fd00:137::10"],
        [
            new DraftRule("web", "action=accept proto=tcp dstports=443-443 comment=something else"),
            new DraftRule("dns", "action=accept specialtarget=dns comment=resolver"),
        ]));

        Assert.Equal(SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("p", SampleDraft())), SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("p", recommented)));
    }

    [Fact]
    public void expire_reaches_the_snapshot_content()
    {
        var draft = new DraftContent([new ClientDraft("work", ["10.137.0.10"], [new DraftRule("tmp", "action=accept expire=1800000000 proto=tcp comment=until friday")])], []);

        var content = SnapshotCodec.FromDraft("p", draft);

        Assert.Equal("action=accept expire=1800000000 proto=tcp", content.Clients[0].Rules[0].Rule);
    }

    [Fact]
    public void policy_tests_never_reach_the_snapshot_content()
    {
        var draft = SampleDraft() with { Tests = [new PolicyTest("ssh-closed", "work", "192.0.2.1", "tcp", 22, null, "drop")] };

        Assert.Equal(SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("p", SampleDraft())), SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("p", draft)));
    }

    [Fact]
    public void the_content_carries_the_clients_addresses_and_rules_in_order()
    {
        var content = SnapshotCodec.ContentFromBytes(SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("p", SampleDraft())));

        Assert.Equal((SnapshotContent.CurrentFormat, "p"), (content.Format, content.Policy));
        var client = Assert.Single(content.Clients);
        Assert.Equal(["10.137.0.10", "fd00:137::10"], client.Addresses);
        Assert.Equal([new SnapshotRule("web", "action=accept proto=tcp dstports=443-443"), new SnapshotRule("dns", "action=accept specialtarget=dns")], client.Rules);
    }

    [Fact]
    public void the_content_of_a_policy_is_what_its_sealable_content_hashes()
    {
        var policy = Policies.Work().WithRule("work", "web", "action=accept proto=tcp dstports=443 comment=browsing");

        var (bytes, sha) = policy.SealableContent();

        Assert.Equal(SnapshotCodec.Sha256Hex(bytes), sha);
        Assert.Equal("action=accept proto=tcp dstports=443-443", SnapshotCodec.ContentFromBytes(bytes).Clients[0].Rules[0].Rule);
    }
}
