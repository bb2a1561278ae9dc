namespace Lethe.PacketPath.Devices;

/// <summary>How <see cref="TunDevice.Open"/> opens a TUN device.</summary>
public sealed record TunOptions
{
    /// <summary>Queue file descriptors to open, 1 to 256 (MAX_TAP_QUEUES); more than one needs <see cref="MultiQueue"/>.</summary>
    public int Queues { get; init; } = 1;

    /// <summary>
    /// IFF_MULTI_QUEUE. On when <see cref="Queues"/> is above one; set it for one queue too when
    /// attaching to a device created with <c>ip tuntap add ... multi_queue</c>, since the kernel
    /// refuses an attach whose flag differs.
    /// </summary>
    public bool MultiQueue { get; init; }

    /// <summary>IFF_VNET_HDR: every read and write starts with a 10-byte <see cref="VirtioNetHeader"/>. Offloads need it.</summary>
    public bool VirtioHeader { get; init; } = true;

    /// <summary>
    /// The TUNSETOFFLOAD flags to ask for when <see cref="VirtioHeader"/> is on. If the kernel refuses
    /// them with USO, they are asked for again without it (USO needs Linux 6.2); what was granted is
    /// <see cref="TunDevice.Offloads"/>.
    /// </summary>
    public TunOffloads Offloads { get; init; } = TunOffloads.Default;
}
