namespace Lethe.PacketPath.Devices;

/// <summary>
/// The gso_type byte of <see cref="VirtioNetHeader"/> (include/uapi/linux/virtio_net.h). Not a
/// <see cref="FlagsAttribute"/> enum: the low values are exclusive kinds, and only <see cref="Ecn"/>
/// combines with them.
/// </summary>
public enum VirtioGsoType : byte
{
    None = 0,
    TcpV4 = 1,

    /// <summary>UFO: IP fragmentation of one UDP datagram. Lethe never enables TUN_F_UFO, so it never gets these.</summary>
    Udp = 3,

    TcpV6 = 4,

    /// <summary>USO: a train of UDP datagrams of gso_size bytes each (Linux 6.2+, TUN_F_USO4|TUN_F_USO6).</summary>
    UdpL4 = 5,

    /// <summary>Added to a TCP type when the segments carry ECN (CWR belongs on the first only).</summary>
    Ecn = 0x80,
}
