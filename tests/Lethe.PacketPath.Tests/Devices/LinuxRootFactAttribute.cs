namespace Lethe.PacketPath.Tests.Devices;

/// <summary>
/// A fact that needs root, /dev/net/tun and iproute2 (network namespaces): CI runs as root, so it
/// runs there; elsewhere it is skipped with the reason.
/// </summary>
public sealed class LinuxRootFactAttribute : FactAttribute
{
    public LinuxRootFactAttribute() => Skip = WhyNot();

    /// <summary>Null when the machine can run device tests, otherwise what it lacks.</summary>
    public static string? WhyNot()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            return "needs root on Linux (CAP_NET_ADMIN, network namespaces)";
        }
        if (!File.Exists("/dev/net/tun"))
        {
            return "needs /dev/net/tun";
        }
        string[] places = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"];
        return places.Any(File.Exists) ? null : "needs iproute2's ip";
    }
}
