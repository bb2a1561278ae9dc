using System.Globalization;
using System.Text;
using Lethe.Domain;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.Firewall;

/// <summary>
/// The page at <c>/flows</c> beside <c>/metrics</c>: the tracked flows, one a line, as <c>conntrack -L</c>
/// lists the kernel's, by client and most recently active first:
/// <c>tcp established client work 10.137.0.5:40312 -> 203.0.113.7:443 as 198.51.100.1:61000, rule r-7532f67bf0, sent 12 packets 3,456 bytes, received 10 packets 12,345 bytes, idle 2 s, expires in 431,998 s</c>.
/// </summary>
public static class FlowsText
{
    /// <summary>How long the page waits for every worker's copy; a worker answers between two packets.</summary>
    public static readonly TimeSpan WorkersWait = TimeSpan.FromSeconds(1);

    private static readonly string[] States = Enum.GetValues<ConnectionState>().Select(s => VerdictNames.Kebab(s.ToString())).ToArray();

    public static string Render(Dataplane dataplane, string policyName)
    {
        var flows = dataplane.ListFlows(WorkersWait, out var unlisted);
        if (flows is null)
        {
            return $"# the workers did not answer within {WorkersWait.TotalSeconds:0} s (stopping?): no flows listed\n";
        }
        var version = dataplane.Workers[0].Engine.Policy.Version;
        var page = new StringBuilder();
        page.Append("# ").Append(Count(flows.Count + unlisted)).Append(" tracked flow(s), policy ").Append(TerminalText.Safe(policyName))
            .Append(" version ").Append(version.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var (listed, client) in flows.Select(f => (f, ClientOf(f))).OrderBy(f => f.Item2, StringComparer.Ordinal).ThenBy(f => f.f.IdleMs))
        {
            AppendLine(page, listed, client);
        }
        if (unlisted > 0)
        {
            page.Append("# ").Append(Count(unlisted)).Append(" more not listed (at most ")
                .Append(Count(FlowListing.MaxPerWorker)).Append(" a worker)\n");
        }
        return page.ToString();
    }

    /// <summary>The client that opened it, by the address it came from (a swap cuts the flows of an address that changed hands).</summary>
    private static string ClientOf(in ListedFlow listed)
    {
        var compiled = listed.Policy.Compiled;
        var client = compiled.FindClient(listed.Flow.Original.Source);
        return client >= 0 ? "client " + TerminalText.Safe(compiled.ClientName(client)) : "the uplink";
    }

    private static void AppendLine(StringBuilder page, in ListedFlow listed, string client)
    {
        var flow = listed.Flow;
        var original = flow.Original;
        var reply = flow.Reply;
        page.Append(PacketText.Protocol(original.Protocol, original.Source.IsV6)).Append(' ').Append(States[(int)flow.State])
            .Append(' ').Append(client).Append(' ');
        AppendEnd(page, original.Source, original.SourcePort, original.Protocol);
        page.Append(" -> ");
        AppendEnd(page, original.Destination, original.DestinationPort, original.Protocol);
        // The reply comes back to the translated end: where it differs from the source, that is the NAT.
        if (reply.Destination != original.Source || reply.DestinationPort != original.SourcePort)
        {
            page.Append(" as ");
            AppendEnd(page, reply.Destination, reply.DestinationPort, original.Protocol);
        }
        // The rule that allows it now: a swap or an expiry judges a flow again, and the rule may have moved or changed.
        var compiled = listed.Policy.Compiled;
        if (compiled.FindClient(original.Source) is var owner and >= 0 && flow.RuleIndex >= 0 && flow.RuleIndex < compiled.RuleCount(owner))
        {
            page.Append(", rule ").Append(TerminalText.Safe(compiled.RuleId(owner, flow.RuleIndex)));
        }
        page.Append(", sent ").Append(Count(flow.OriginalPackets)).Append(" packets ").Append(Count(flow.OriginalBytes)).Append(" bytes")
            .Append(", received ").Append(Count(flow.ReplyPackets)).Append(" packets ").Append(Count(flow.ReplyBytes)).Append(" bytes")
            .Append(", idle ").Append(Count(listed.IdleMs / 1000)).Append(" s")
            .Append(", expires in ").Append(Count((listed.ExpiresInMs + 999) / 1000)).Append(" s\n");
    }

    private static void AppendEnd(StringBuilder page, NetAddress address, ushort port, byte protocol)
    {
        switch (protocol)
        {
            case IpProtocol.Tcp or IpProtocol.Udp:
                PacketText.AppendWithPort(page, address, port);
                break;
            case IpProtocol.Icmp or IpProtocol.IcmpV6:
                // Both ports of an ICMP query's key hold its identifier.
                page.Append(address.ToString()).Append(" id ").Append(port.ToString(CultureInfo.InvariantCulture));
                break;
            default:
                page.Append(address.ToString());
                break;
        }
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Count(ulong value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
