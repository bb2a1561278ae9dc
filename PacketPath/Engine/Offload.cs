namespace Lethe.PacketPath.Engine;

/// <summary>
/// What a TUN's virtio-net header says about a packet: its transport checksum is still partial,
/// and (for a segmentation-offload super-packet) the payload each segment will carry. The engine
/// decides and translates such a packet once, and checks the MTU against its segments.
/// </summary>
public readonly record struct Offload(bool PartialChecksum, int SegmentPayload)
{
    public static Offload None => default;
}
