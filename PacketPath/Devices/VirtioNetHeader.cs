using System.Buffers.Binary;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// struct virtio_net_hdr (include/uapi/linux/virtio_net.h): the 10 bytes before every packet read
/// from or written to a TUN opened with IFF_VNET_HDR. Little-endian, as the kernel uses it on
/// little-endian hosts with the default TUNSETVNETHDRSZ of 10.
/// </summary>
/// <param name="HeaderLength">hdr_len: L3 + L4 header bytes. Not to be trusted on reads: on the forward path the kernel may set it to the whole first segment (wireguard-go tun/offload_linux.go).</param>
/// <param name="GsoSize">gso_size: payload bytes per segment (the MSS, or the UDP datagram size for USO).</param>
/// <param name="ChecksumStart">csum_start: where the checksummed bytes start, i.e. the L4 header.</param>
/// <param name="ChecksumOffset">csum_offset: where the checksum field sits from <paramref name="ChecksumStart"/>: 16 for TCP, 6 for UDP.</param>
public readonly record struct VirtioNetHeader(
    VirtioNetFlags Flags,
    VirtioGsoType GsoType,
    ushort HeaderLength,
    ushort GsoSize,
    ushort ChecksumStart,
    ushort ChecksumOffset)
{
    public const int Size = 10;

    public const ushort TcpChecksumOffset = 16;
    public const ushort UdpChecksumOffset = 6;

    /// <summary>The header of a plain packet: no segmentation, checksum complete. All ten bytes are zero.</summary>
    public static VirtioNetHeader None => default;

    public bool NeedsChecksum => (Flags & VirtioNetFlags.NeedsChecksum) != 0;

    /// <summary>The segmentation kind without the <see cref="VirtioGsoType.Ecn"/> bit.</summary>
    public VirtioGsoType Gso => GsoType & ~VirtioGsoType.Ecn;

    public bool HasEcn => (GsoType & VirtioGsoType.Ecn) != 0;

    public bool IsGso => Gso != VirtioGsoType.None;

    /// <summary>Reads the first <see cref="Size"/> bytes; the caller checks the length (a TUN read never returns less).</summary>
    public static VirtioNetHeader Read(ReadOnlySpan<byte> source) => new(
        (VirtioNetFlags)source[0],
        (VirtioGsoType)source[1],
        BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[8..]));

    public static bool TryRead(ReadOnlySpan<byte> source, out VirtioNetHeader header)
    {
        if (source.Length < Size)
        {
            header = default;
            return false;
        }
        header = Read(source);
        return true;
    }

    /// <summary>Writes exactly <see cref="Size"/> bytes.</summary>
    public void WriteTo(Span<byte> destination)
    {
        var bytes = destination[..Size];
        bytes[0] = (byte)Flags;
        bytes[1] = (byte)GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[2..], HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[6..], ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[8..], ChecksumOffset);
    }
}
