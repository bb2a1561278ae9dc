namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// The MTU of each device (by its index in the data plane), written by <see cref="MtuWatch"/>'s
/// thread and read by the workers, which check <see cref="Version"/> once per pass and hand their
/// engine the new values only when it moved. 0 means not known: the engine's default then.
/// </summary>
public sealed class DeviceMtus(int devices)
{
    private readonly int[] _mtus = new int[devices];
    private int _version;

    public int Version => Volatile.Read(ref _version);

    public int this[int device] => Volatile.Read(ref _mtus[device]);

    /// <summary>Sets one device's MTU; true when it changed.</summary>
    internal bool Set(int device, int mtu)
    {
        if (Volatile.Read(ref _mtus[device]) == mtu)
        {
            return false;
        }
        Volatile.Write(ref _mtus[device], mtu);
        Interlocked.Increment(ref _version);
        return true;
    }
}
