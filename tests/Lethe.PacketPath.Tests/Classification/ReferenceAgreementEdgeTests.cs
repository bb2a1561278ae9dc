using Lethe.Domain.Evaluation;
using Lethe.PacketPath.Classification;
using static Lethe.PacketPath.Tests.Classification.Fixtures;

namespace Lethe.PacketPath.Tests.Classification;

/// <summary>
/// A dsthost answered for one address family only, as the firewall's resolver leaves a name whose
/// AAAA (or A) query fails: the reference must block that family alone, as the classifier does.
/// </summary>
public sealed class ReferenceAgreementEdgeTests
{
    [Theory]
    [InlineData(true, false, "2001:db8::1")]
    [InlineData(true, false, "192.0.2.1")]
    [InlineData(false, true, "192.0.2.1")]
    [InlineData(false, true, "2001:db8::1")]
    public void a_dsthost_answered_for_one_family_gets_the_same_verdict_from_the_reference_and_the_classifier(bool v4, bool v6, string destination)
    {
        var content = Content(("work", ["10.137.0.10", "fd00::10"], ["action=drop dsthost=tracker.example", "action=accept"]));
        var model = Lethe.Domain.Snapshots.SnapshotCodec.ToModel(content);
        var compiled = Compile(content, "10.139.1.1");
        var hosts = compiled.CreateHostTable();
        hosts.Set("tracker.example", [Address("192.0.2.66"), Address("2001:db8::66")], v4, v6);
        var packet = Tcp(destination, 443);

        var reference = ReferenceEvaluator.Evaluate(model, "work", Query(packet), Environment(Now, compiled.DnsResolvers, hosts));
        var actual = compiled.Classify(0, packet, Now, hosts);

        Assert.Equal(reference.Action, actual.Action);
        Assert.Equal(reference.RuleId, RuleIdOf(compiled, 0, actual));
        Assert.Equal(ExpectedReason(reference), actual.Reason);
    }
}
