namespace Lethe.PacketPath.Devices;

/// <summary>TUNSETOFFLOAD flags (include/uapi/linux/if_tun.h TUN_F_*).</summary>
[Flags]
public enum TunOffloads : uint
{
    None = 0,
    Checksum = 0x01,
    Tso4 = 0x02,
    Tso6 = 0x04,
    TsoEcn = 0x08,
    Ufo = 0x10,
    Uso4 = 0x20,
    Uso6 = 0x40,

    /// <summary>USO takes effect only when both are set (kernel review of the USO series), so they go together.</summary>
    Uso = Uso4 | Uso6,

    /// <summary>What wireguard-go asks for (tun/tun_linux.go): checksum, TSO and, where the kernel takes it, USO.</summary>
    Default = Checksum | Tso4 | Tso6 | Uso,
}
