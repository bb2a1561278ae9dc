using System.Net;
using System.Net.Sockets;
using Lethe.Domain.Rules;

namespace Lethe.Domain.Evaluation;

/// <summary>
/// The meaning of a policy, written for clarity rather than speed: plain first match over the
/// client's rule list, no match means drop. The packet path's compiled classifier must agree with
/// it for every policy and packet; publish-time policy tests run on it.
/// </summary>
public static class ReferenceEvaluator
{
    public static Decision Evaluate(PolicyModel policy, string clientName, FlowQuery flow, EvaluationEnvironment environment)
    {
        var client = policy.FindClient(clientName)
            ?? throw new ArgumentException($"no client named '{clientName}'", nameof(clientName));

        // Section 4: a drop rule whose name does not resolve blocks the whole client until it does,
        // so that a DNS failure never turns a drop into an accept. Each family on its own, as the
        // firewall resolves them: a failed AAAA query blocks the client's IPv6 traffic only.
        var family = flow.Destination.AddressFamily;
        foreach (var rule in client.Rules)
        {
            if (rule.Rule is { Host: { } host, Action: not RuleAction.Accept } &&
                !rule.Rule.IsExpiredAt(environment.NowUnix) &&
                !environment.IsResolved(host, family))
            {
                return new Decision(RuleAction.Drop, rule.Id, $"dsthost {host} is unresolved: the client is blocked until it resolves");
            }
        }

        var otherClient = policy.OtherClientOwning(flow.Destination, client);
        foreach (var rule in client.Rules)
        {
            if (!Matches(rule.Rule, flow, environment))
            {
                continue;
            }
            if (otherClient is not null && rule.Rule.Action == RuleAction.Accept && !rule.Rule.HasExplicitNetwork)
            {
                // Clients are isolated by default: only an explicit dst4/dst6 opens another client.
                continue;
            }
            return new Decision(rule.Rule.Action, rule.Id, "rule");
        }
        return new Decision(RuleAction.Drop, null, otherClient is null ? Decision.NoRuleMatched : $"{Decision.NoRuleMatched} (destination is client {otherClient.Name})");
    }

    public static bool Matches(Rule rule, FlowQuery flow, EvaluationEnvironment environment)
    {
        if (rule.IsExpiredAt(environment.NowUnix))
        {
            return false;
        }
        var isV6 = flow.Destination.AddressFamily == AddressFamily.InterNetworkV6;
        if (rule.Network is { } network && !network.Contains(flow.Destination))
        {
            return false; // also covers family: dst4 never matches IPv6 and dst6 never IPv4
        }
        if (rule.Host is { } host &&
            (!environment.IsResolved(host, flow.Destination.AddressFamily) ||
             !environment.ResolvedHosts.TryGetValue(host, out var addresses) || !addresses.Contains(flow.Destination)))
        {
            return false;
        }
        if (rule.Protocol is { } protocol && !ProtocolMatches(protocol, flow.Protocol, isV6))
        {
            return false;
        }
        if (rule.DnsTarget &&
            (flow.Protocol is not (FlowQuery.Tcp or FlowQuery.Udp) || flow.DestinationPort != 53 || !environment.DnsResolvers.Contains(flow.Destination)))
        {
            return false;
        }
        if (rule.Ports is { } ports && (flow.DestinationPort is not { } port || !ports.Contains(port)))
        {
            return false;
        }
        if (rule.IcmpType is { } icmpType && flow.IcmpType != icmpType)
        {
            return false;
        }
        return true;
    }

    private static bool ProtocolMatches(RuleProtocol protocol, byte number, bool isV6) => protocol switch
    {
        RuleProtocol.Tcp => number == FlowQuery.Tcp,
        RuleProtocol.Udp => number == FlowQuery.Udp,
        _ => number == (isV6 ? FlowQuery.IcmpV6 : FlowQuery.Icmp),
    };
}
