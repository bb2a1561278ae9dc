namespace Lethe.PacketPath.Wire;

/// <summary>Why a packet was not forwarded. Every drop has one; counters are kept per reason.</summary>
public enum DropReason : byte
{
    None = 0,

    // Parsing (Wire)
    Truncated,
    BadIpVersion,
    BadHeaderLength,
    BadTotalLength,
    BadExtensionHeader,
    UnsupportedProtocol,
    BadTransportHeader,
    FragmentWithoutFlow,
    BadFragment,

    // Policy (Classification)
    NoRuleMatched,
    RuleDrop,
    RuleReject,
    ClientIsolated,
    DsthostUnresolved,

    // Origin checks
    SpoofedClientSource,
    SpoofedUplinkSource,
    UnsolicitedFromUplink,

    // State (Tracking, Nat)
    ConnectionTableFull,
    ClientQuotaExceeded,
    NatPortsExhausted,
    FlowCut,
    IcmpErrorWithoutFlow,
    /// <summary>A TCP segment of a tracked flow outside its sequence window: a guess, or stale.</summary>
    TcpOutOfWindow,
    /// <summary>
    /// A TCP segment of no tracked flow that cannot start one: neither a SYN without ACK nor, picked
    /// up in the middle, an ACK without SYN, FIN or RST (Linux's conntrack calls it invalid).
    /// </summary>
    TcpCannotOpen,
    /// <summary>
    /// A TCP segment of a tracked flow that Linux's conntrack calls invalid: a combination of flags no
    /// TCP sends (a FIN without ACK, SYN with FIN or RST, none at all), or a SYN from the answering side
    /// of a flow past its handshake. Each could otherwise end or disturb the flow by a guess.
    /// </summary>
    TcpInvalid,
    /// <summary>
    /// An ICMP message of no tracked flow that is neither a request (echo, timestamp, information,
    /// address mask; ICMPv6 echo, node information) nor an error: a reply, a redirect, a router
    /// message; or ICMP of the other family (ICMPv4 over IPv6, ICMPv6 over IPv4). Linux's conntrack
    /// calls it invalid.
    /// </summary>
    IcmpCannotOpen,
    /// <summary>
    /// An ICMP message that is not an error whose addresses and identifier name a tracked query flow,
    /// but which is neither the request that opened it (from the side that opened it) nor that
    /// request's reply (from the other side): a timestamp request in an echo flow, a query from the
    /// host that was pinged.
    /// </summary>
    IcmpNotOfFlow,

    // Forwarding
    TtlExceeded,
    TooBig,
    /// <summary>From a client to the firewall's own address, which serves nothing there: answered as a drop rule is.</summary>
    AddressedToFirewall,
    /// <summary>To or from a multicast, broadcast, loopback, unspecified, link-local or IPv4-mapped address (<see cref="NetAddress.IsNeverForwarded"/>); dropped without an answer.</summary>
    NeverForwarded,
    /// <summary>
    /// From a client to the directed broadcast of the uplink's IPv4 prefix (--uplink-address A/N): dropped
    /// without an answer, as Linux drops it (bc_forwarding off), never sent onto the uplink's subnet.
    /// </summary>
    DirectedBroadcast,
    /// <summary>An IPv4 packet with a loose or strict source route option; dropped without an answer, as Linux does.</summary>
    SourceRouted,
    /// <summary>An IPv4 header whose checksum does not verify: dropped without an answer before anything is read from it, as Linux's ip_rcv and RFC 1812 §5.2.2 drop it.</summary>
    BadIpChecksum,

    /// <summary>
    /// Judged and allowed, but to a client no device of the live firewall serves, or to the uplink
    /// without one: it goes nowhere, so it is dropped, not counted as forwarded. Never in a replay.
    /// </summary>
    NoDevice,
}
