using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Forwarding;

/// <summary>A TUN device the data plane forwards through: a client's network (by the client's name in the policy) or the uplink (<paramref name="Client"/> null).</summary>
public sealed record AttachedDevice(TunDevice Device, string? Client)
{
    public bool IsUplink => Client is null;
}
