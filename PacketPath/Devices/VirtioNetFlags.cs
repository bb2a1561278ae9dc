namespace Lethe.PacketPath.Devices;

/// <summary>The flags byte of <see cref="VirtioNetHeader"/> (include/uapi/linux/virtio_net.h).</summary>
[Flags]
public enum VirtioNetFlags : byte
{
    None = 0,

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: the L4 checksum field holds only the pseudo-header sum (CHECKSUM_PARTIAL).</summary>
    NeedsChecksum = 1,

    /// <summary>VIRTIO_NET_HDR_F_DATA_VALID: the checksum was already verified (CHECKSUM_UNNECESSARY).</summary>
    DataValid = 2,
}
