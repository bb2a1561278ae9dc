using System.Net;
using System.Net.Sockets;
using Lethe.Domain.Evaluation;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Classification;

/// <summary>Builds snapshots from rule texts and packets as plain values (no wire parser).</summary>
internal static class Fixtures
{
    public const long Now = 1_800_000_000;

    public static NetAddress Address(string text) => NetAddress.From(IPAddress.Parse(text));

    public static SnapshotContent Content(params (string Name, string[] Addresses, string[] Rules)[] clients) =>
        new(SnapshotContent.CurrentFormat, "test",
            clients.Select(c => new SnapshotClient(
                c.Name,
                c.Addresses,
                c.Rules.Select((rule, i) => new SnapshotRule($"{c.Name}-{i}", rule)).ToArray())).ToArray());

    public static CompiledPolicy Compile(SnapshotContent content, params string[] resolvers) =>
        CompiledPolicy.Compile(content, resolvers.Select(Address).ToArray());

    /// <summary>One client "work" at 10.137.0.10 and fd00::10 with these rules.</summary>
    public static CompiledPolicy Single(params string[] rules) =>
        Compile(Content(("work", ["10.137.0.10", "fd00::10"], rules)), "10.139.1.1", "fd00::53");

    public static PacketInfo Packet(string destination, byte protocol, ushort port = 0, byte icmpType = 0, string source = "10.137.0.10")
    {
        var to = Address(destination);
        return new PacketInfo
        {
            Version = to.IsV6 ? (byte)6 : (byte)4,
            Source = Address(source),
            Destination = to,
            Protocol = protocol,
            HopLimit = 64,
            SourcePort = protocol is 6 or 17 ? (ushort)40000 : (ushort)0,
            DestinationPort = port,
            IcmpType = icmpType,
        };
    }

    public static PacketInfo Tcp(string destination, ushort port) => Packet(destination, 6, port);

    public static PacketInfo Udp(string destination, ushort port) => Packet(destination, 17, port);

    /// <summary>
    /// The reference's question for a packet: the mapping documented on <see cref="CompiledPolicy"/>.
    /// </summary>
    public static FlowQuery Query(in PacketInfo packet)
    {
        var v6 = packet.Destination.IsV6;
        return new FlowQuery(
            packet.Destination.ToIPAddress(),
            packet.Protocol,
            packet.Protocol is 6 or 17 ? packet.DestinationPort : null,
            (packet.Protocol == 1 && !v6) || (packet.Protocol == 58 && v6) ? packet.IcmpType : null);
    }

    /// <summary>The reference's view of the same data, a name answered for one family only included.</summary>
    public static EvaluationEnvironment Environment(long now, IEnumerable<NetAddress> resolvers, HostTable hosts)
    {
        var oneFamily = new Dictionary<string, AddressFamily>(StringComparer.Ordinal);
        for (var id = 0; id < hosts.Names.Count; id++)
        {
            var (v4, v6) = (hosts.IsResolved(id, v6: false), hosts.IsResolved(id, v6: true));
            if (v4 != v6)
            {
                oneFamily[hosts.Names[id]] = v4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
            }
        }
        return new(now,
            resolvers.Select(r => r.ToIPAddress()).ToArray(),
            hosts.Snapshot().ToDictionary(
                kv => kv.Key,
                kv => (IReadOnlyList<IPAddress>)kv.Value.Select(a => a.ToIPAddress()).ToArray(),
                StringComparer.Ordinal))
        {
            OneFamilyOnly = oneFamily,
        };
    }

    /// <summary>The drop reason the compiled verdict must carry for the reference's decision.</summary>
    public static DropReason ExpectedReason(Decision decision)
    {
        if (decision.RuleId is null)
        {
            return decision.Reason == Decision.NoRuleMatched ? DropReason.NoRuleMatched : DropReason.ClientIsolated;
        }
        if (decision.Reason != "rule")
        {
            return DropReason.DsthostUnresolved;
        }
        return decision.Action switch
        {
            Lethe.Domain.Rules.RuleAction.Accept => DropReason.None,
            Lethe.Domain.Rules.RuleAction.Drop => DropReason.RuleDrop,
            _ => DropReason.RuleReject,
        };
    }

    /// <summary>The rule id a verdict names (null for the default drop).</summary>
    public static string? RuleIdOf(CompiledPolicy policy, int client, Verdict verdict) =>
        verdict.RuleIndex < 0 ? null : policy.RuleId(client, verdict.RuleIndex);
}
