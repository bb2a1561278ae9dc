using System.Runtime.InteropServices;
using System.Text;
using Lethe.PacketPath.Tests.Devices;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// A persistent device made beforehand that another program holds a queue of is refused, not
/// shared: the kernel would split the link's flows between the two programs, and keeps the flags
/// the first holder set (no virtio-net header, say), so every packet's first bytes would be misread
/// as a header.
/// </summary>
public sealed class HeldDeviceTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    // include/uapi/linux/if_tun.h
    private const uint TunSetIff = 0x400454ca;
    private const uint TunSetQueue = 0x400454d9;
    private const short IffTun = 0x0001, IffNoPi = 0x1000, IffMultiQueue = 0x0100, IffDetachQueue = 0x0400;

    [LinuxRootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task boot_refuses_a_persistent_device_another_program_holds_a_queue_of(bool detached)
    {
        var device = $"lh{Random.Shared.Next(0x1000000):x6}";
        var held = -1;
        try
        {
            Command.Run("ip", "tuntap", "add", "dev", device, "mode", "tun", "multi_queue");
            Command.Run("ip", "link", "set", "dev", device, "alias", NetworkNamespace.RunTag);
            // A detached queue takes no flows, but its holder may attach it again at any time.
            held = Hold(device, detached);
            await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", policy.V1, "--trust", policy.PublicKey,
                "--uplink-tun", device, "--workers", "1");
            var forwarding = true;
            try
            {
                await firewall.WaitForOutput("forwarding on", TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                forwarding = false;
            }

            var link = Command.Run("ip", "-d", "link", "show", "dev", device);
            Assert.False(forwarding,
                $"boot attached to {device}, which another program holds a queue of, and forwards on it; " +
                $"the device as the kernel has it: {link.Trim()}\nstdout:\n{firewall.Out}\nstderr:\n{firewall.Err}");
            Assert.Equal(1, await firewall.Exit(TimeSpan.FromSeconds(15)));
            Assert.Contains($"cannot attach to the devices: {device} is held by another program (", firewall.Err);
            Assert.Contains("stop that program or give another name", firewall.Err);
            // Refused, it leaves the device as it found it, held by the other program.
            Assert.Contains(detached ? "numqueues 0 numdisabled 1" : "numqueues 1 numdisabled 0", link);
        }
        finally
        {
            if (held >= 0)
            {
                Libc.close(held);
            }
            Command.TryRun("ip", "tuntap", "del", "dev", device, "mode", "tun", "multi_queue");
        }
    }

    /// <summary>Attaches one queue to <paramref name="device"/> as a program of the operator's would, without the virtio-net header.</summary>
    private static int Hold(string device, bool detached)
    {
        var fd = Libc.open("/dev/net/tun", Libc.ORdWr | Libc.OCloExec);
        Assert.True(fd >= 0, $"open /dev/net/tun: errno {Marshal.GetLastPInvokeError()}");
        var ifreq = new byte[40];
        Encoding.ASCII.GetBytes(device, ifreq.AsSpan(0, 15));
        BitConverter.TryWriteBytes(ifreq.AsSpan(16), (short)(IffTun | IffNoPi | IffMultiQueue));
        Assert.True(Libc.ioctl(fd, TunSetIff, ifreq) == 0, $"TUNSETIFF {device}: errno {Marshal.GetLastPInvokeError()}");
        if (detached)
        {
            BitConverter.TryWriteBytes(ifreq.AsSpan(16), IffDetachQueue);
            Assert.True(Libc.ioctl(fd, TunSetQueue, ifreq) == 0, $"TUNSETQUEUE IFF_DETACH_QUEUE {device}: errno {Marshal.GetLastPInvokeError()}");
        }
        return fd;
    }
}
