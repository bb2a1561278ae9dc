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
    UnknownSource,
    UnsolicitedFromUplink,

    // State (Tracking, Nat)
    ConnectionTableFull,
    ClientQuotaExceeded,
    NatPortsExhausted,
    FlowCut,
    IcmpErrorWithoutFlow,
    /// <summary>A TCP segment of a tracked flow outside its sequence window: a guess, or stale.</summary>
    TcpOutOfWindow,

    // Forwarding
    TtlExceeded,
    TooBig,
    AddressedToFirewall,
}
