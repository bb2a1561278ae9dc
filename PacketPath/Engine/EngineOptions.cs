using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Engine;

public sealed record EngineOptions
{
    /// <summary>Clients' IPv4 traffic leaves behind this address; null routes IPv4 without translation.</summary>
    public NetAddress? UplinkV4 { get; init; }

    /// <summary>Clients' IPv6 traffic leaves behind this address; null routes IPv6 without translation.</summary>
    public NetAddress? UplinkV6 { get; init; }

    /// <summary>
    /// The length of the prefix <see cref="UplinkV4"/> holds on the uplink (32: none). Below 31 the prefix's
    /// last address is its directed broadcast, which a client's packet is never sent to.
    /// </summary>
    public int UplinkPrefixLengthV4 { get; init; } = 32;

    /// <summary>
    /// The length of the prefix <see cref="UplinkV6"/> holds on the uplink (128: none). Below 127 the prefix's
    /// first address is its subnet-router anycast, the firewall's own as much as <see cref="UplinkV6"/> is.
    /// </summary>
    public int UplinkPrefixLengthV6 { get; init; } = 128;

    /// <summary>What specialtarget=dns means: the resolvers the firewall is configured with.</summary>
    public IReadOnlyList<NetAddress> DnsResolvers { get; init; } = [];

    /// <summary>Drop without telling the client (no ICMP administratively prohibited). A reject rule still answers.</summary>
    public bool SilentDrop { get; init; }

    public int ClientMtu { get; init; } = 1500;

    public int UplinkMtu { get; init; } = 1500;

    public ConnectionLimits Limits { get; init; } = new();

    public ConnectionTimeouts Timeouts { get; init; } = ConnectionTimeouts.Default;

    public PortRange NatPorts { get; init; } = PortRange.Default;

    /// <summary>Seeds the table's hash and the NAT port choice; fixed for a replay, so it gives the same output every time.</summary>
    public ulong? Seed { get; init; }

    /// <summary>How flows are split between workers; each worker's engine holds the shard <see cref="Shard"/>.</summary>
    public FlowShards Shards { get; init; } = FlowShards.Single;

    public int Shard { get; init; }

    /// <summary>
    /// The clock a rule's <c>expire</c> (UNIX time) is read against. Null: the time each call passes
    /// is itself UNIX time in milliseconds, as in a replay, where it is the capture's. The live
    /// firewall passes monotonic milliseconds, so that a step of the wall clock neither ends flows
    /// early nor keeps them, and reads expiry from the system clock here.
    /// </summary>
    public TimeProvider? WallClock { get; init; }

    /// <summary>ICMP errors and resets the firewall itself sends, per second, and the burst it may send at once.</summary>
    public int RepliesPerSecond { get; init; } = 50;

    public int ReplyBurst { get; init; } = 20;
}
