using System.CommandLine;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;

namespace Lethe.Firewall;

/// <summary>The options boot and replay share: how the engine is set up around a snapshot.</summary>
public sealed class EngineFlags
{
    public Option<string> Snapshot { get; } = new("--snapshot") { Description = "Snapshot file, or the control plane's URL of one (…/snapshots/latest)", Required = true };

    public Option<string> Trust { get; } = new("--trust") { Description = "The control plane's public key (PEM); anything it does not verify is refused", Required = true };

    public Option<string[]> UplinkAddress { get; } = new("--uplink-address")
    {
        Description = "The firewall's uplink address clients are masqueraded behind (one IPv4 and/or one IPv6)",
    };

    public Option<string[]> Dns { get; } = new("--dns") { Description = "A DNS resolver: what specialtarget=dns means, and where dsthost names are resolved (repeatable)" };

    public Option<bool> SilentDrop { get; } = new("--silent-drop") { Description = "Drop without answering ICMP administratively prohibited (reject rules still answer)" };

    public Option<int> MaxFlows { get; } = new("--max-flows") { Description = "Hard bound on tracked flows (boot splits it evenly between its workers)", DefaultValueFactory = _ => 65_536 };

    public IEnumerable<Option> All => [Snapshot, Trust, UplinkAddress, Dns, SilentDrop, MaxFlows];

    public EngineOptions Options(ParseResult parse, ulong? seed)
    {
        NetAddress? v4 = null, v6 = null;
        foreach (var text in parse.GetValue(UplinkAddress) ?? [])
        {
            var address = ParseAddress("--uplink-address", text);
            if (address.IsV6) v6 = address;
            else v4 = address;
        }
        return new EngineOptions
        {
            UplinkV4 = v4,
            UplinkV6 = v6,
            DnsResolvers = Resolvers(parse).ToArray(),
            SilentDrop = parse.GetValue(SilentDrop),
            Limits = new Lethe.PacketPath.Tracking.ConnectionLimits { Capacity = parse.GetValue(MaxFlows) },
            Seed = seed,
        };
    }

    public IEnumerable<NetAddress> Resolvers(ParseResult parse) => (parse.GetValue(Dns) ?? []).Select(d => ParseAddress("--dns", d));

    public static NetAddress ParseAddress(string flag, string text) =>
        Lethe.Domain.Rules.RuleParser.ParseAddress(text) is { } address
            ? NetAddress.From(address)
            : throw new FlagException($"{flag}: '{text}' is not an IPv4 or IPv6 address");
}

/// <summary>A flag value that makes no sense; reported as `error: ...` with exit code 2.</summary>
public sealed class FlagException(string message) : Exception(message);
