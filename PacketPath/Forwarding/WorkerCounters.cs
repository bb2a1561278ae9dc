namespace Lethe.PacketPath.Forwarding;

/// <summary>What one worker counts beside its engine; written by that worker only, read by anyone.</summary>
public sealed class WorkerCounters
{
    /// <summary>Packets read from the devices (a super-packet counts once).</summary>
    public long Received;

    /// <summary>Packets handed to the worker that owns their flow.</summary>
    public long HandedOff;

    /// <summary>Packets dropped because the owning worker's ring was full.</summary>
    public long HandoffFull;

    /// <summary>
    /// Packets from a device whose client the policy no longer names (to a side no device serves, the
    /// engine drops them as <see cref="Wire.DropReason.NoDevice"/>; the metrics add the two).
    /// </summary>
    public long NoDevice;

    /// <summary>Super-packets split because the device they leave by cannot take them whole.</summary>
    public long Split;

    /// <summary>
    /// Packets the kernel did not take from the worker's write(2): the device is down, or it refused
    /// the packet. A coalesced write counts its datagrams, a split super-packet each segment.
    /// </summary>
    public long WriteFailed;

    /// <summary>
    /// IPv4 packets without DF cut into fragments because they exceed the MTU of the device they leave
    /// by (a super-packet counts once, however many of its segments were cut).
    /// </summary>
    public long Fragmented;

    /// <summary>UDP datagrams written together with others of their flow as one USO super-packet.</summary>
    public long Coalesced;

    /// <summary>Super-packets that could not be split (malformed, or too many segments), and packets that could not be cut into fragments.</summary>
    public long SplitFailed;

    /// <summary>Packets whose virtio-net header asked for a checksum or a segmentation the packet is not (<see cref="Devices.OffloadHeaderCheck"/>).</summary>
    public long OffloadHeaderMismatch;
}
