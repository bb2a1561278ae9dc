namespace Lethe.PacketPath.Nat;

/// <summary>The inclusive range of uplink ports (and ICMP query identifiers) NAT hands out.</summary>
public readonly record struct PortRange(ushort First, ushort Last)
{
    /// <summary>Everything above the well-known ports, so no translated flow poses as a system service.</summary>
    public static PortRange Default { get; } = new(1024, 65535);

    public int Size => Last - First + 1;
}
