using System.Net;
using Lethe.Domain.Evaluation;
using Lethe.Domain.Rules;
using Lethe.Domain.Snapshots;

namespace Lethe.Domain.Policies;

/// <summary>Runs a draft's policy tests on the reference evaluator, after the checks the firewall makes before any rule (<see cref="ForwardingGates"/>), as publish does.</summary>
public static class PolicyTestRunner
{
    /// <param name="dnsResolvers">What specialtarget=dns means for the tests.</param>
    public static IReadOnlyList<PolicyTestResult> Run(string policy, DraftContent draft, long nowUnix, IReadOnlyList<IPAddress> dnsResolvers)
    {
        var model = SnapshotCodec.ToModel(SnapshotCodec.FromDraft(policy, draft));
        // Names are resolved by the firewall, not here: for the tests each dsthost resolves to nothing,
        // so a name rule neither opens nor blocks the addresses the tests name.
        var hosts = model.Clients.SelectMany(c => c.Rules).Select(r => r.Rule.Host).OfType<string>().Distinct()
            .ToDictionary(h => h, IReadOnlyList<IPAddress> (_) => []);
        var environment = new EvaluationEnvironment(nowUnix, dnsResolvers, hosts);
        return draft.Tests.Select(test =>
        {
            if (RuleParser.ParseAddress(test.To) is null)
            {
                // Stored by a build that read addresses more loosely: a failed test that names itself, not a crash of every publish.
                return new PolicyTestResult(test,
                    new Decision(RuleAction.Drop, null, $"the test cannot run: '{test.To}' is not an address this build reads; remove it and add it again"),
                    Passed: false);
            }
            if (test.Proto is not "icmp" && test.Port is null)
            {
                // Stored before tcp and udp tests needed a port: asked port-less, it could pass while every port is dropped.
                return new PolicyTestResult(test,
                    new Decision(RuleAction.Drop, null, "the test cannot run: it names no port, which this build needs for tcp and udp; remove it and add it again with --port"),
                    Passed: false);
            }
            var flow = ToFlow(test);
            var decision = ForwardingGates.DropReason(flow) is { } gate
                ? new Decision(RuleAction.Drop, null, gate)
                : NoAddressOfFamily(model, test.Client, flow) is { } spoofed
                    ? new Decision(RuleAction.Drop, null, spoofed)
                    : ReferenceEvaluator.Evaluate(model, test.Client, flow, environment);
            var accepted = decision.Action == RuleAction.Accept;
            return new PolicyTestResult(test, decision, accepted == (test.Expect == "accept"));
        }).ToArray();
    }

    /// <summary>
    /// Why the firewall drops the flow before any rule when the client has no address of the destination's
    /// family: it can only send from one of its own, so any other source is dropped as spoofed.
    /// </summary>
    private static string? NoAddressOfFamily(PolicyModel model, string client, FlowQuery flow)
    {
        var family = flow.Destination.AddressFamily;
        var owner = model.FindClient(client);
        return owner is null || owner.Addresses.Any(a => a.AddressFamily == family)
            ? null
            : $"client {client} has no {(family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} address: " +
              "the firewall drops its packets of that family as spoofed";
    }

    public static FlowQuery ToFlow(PolicyTest test)
    {
        var destination = RuleParser.ParseAddress(test.To) ?? throw new FormatException($"'{test.To}' is not an address");
        var v6 = destination.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        return test.Proto switch
        {
            "tcp" => new FlowQuery(destination, FlowQuery.Tcp, test.Port),
            "udp" => new FlowQuery(destination, FlowQuery.Udp, test.Port),
            "icmp" => new FlowQuery(destination, v6 ? FlowQuery.IcmpV6 : FlowQuery.Icmp, null, test.IcmpType ?? (v6 ? 128 : 8)),
            _ => new FlowQuery(destination, FlowQuery.Tcp, test.Port),
        };
    }
}
