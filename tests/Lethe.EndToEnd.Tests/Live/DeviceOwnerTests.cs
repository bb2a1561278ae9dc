using Lethe.PacketPath.Tests.Devices;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// The devices boot creates are multi-queue, and the kernel lets anyone who may open /dev/net/tun
/// attach a queue to a multi-queue device that has no owner (TUNSETIFF by name): it would then read
/// a share of the link's flows and write packets into it past the rules. boot gives each device it
/// creates its own user as owner before anything else can attach.
/// </summary>
public sealed class DeviceOwnerTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    private const int Nobody = 65534;

    [LinuxRootFact]
    public async Task an_unprivileged_user_cannot_attach_a_queue_to_a_device_the_firewall_created()
    {
        var device = $"lw{Random.Shared.Next(0x1000000):x6}";
        using var work = NetworkNamespace.Create();
        var folder = Directory.CreateTempSubdirectory("lethe-e2e-owner-");
        try
        {
            File.SetUnixFileMode(folder.FullName, (UnixFileMode)0b111_101_101);
            var node = Path.Combine(folder.FullName, "tun");
            Command.Run("mknod", "-m", "0666", node, "c", "10", "200");   // /dev/net/tun as most distributions ship it
            await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", policy.V1, "--trust", policy.PublicKey,
                "--client-tun", $"work={device}", "--workers", "2");
            await firewall.WaitForOutput("forwarding on 1 device(s) with 2 worker(s)", TimeSpan.FromSeconds(30));
            // Where it serves: in the client's namespace, whose users are the ones who could try.
            Command.Run("ip", "link", "set", device, "netns", work.Name);

            // `ip tuntap del` attaches by name (TUNSETIFF) before clearing persist: exit 0 = the kernel let this user attach.
            var (code, output) = Command.Execute("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                "mount --bind \"$0\" /dev/net/tun && exec ip netns exec \"$1\" setpriv --reuid=65534 --regid=65534 --clear-groups " +
                "ip tuntap del dev \"$2\" mode tun multi_queue",
                node, work.Name, device);

            Assert.True(code != 0,
                $"uid {Nobody} in the work client's namespace attached a queue to {device}, the device the firewall created " +
                $"(it could read the client's flows and write packets into its network past the rules): `ip tuntap del` exited {code} {output}\n" +
                $"stdout:\n{firewall.Out}\nstderr:\n{firewall.Err}");
            Assert.Contains("Operation not permitted", output);
            Assert.Contains("user root", work.Ip("-d", "link", "show", "dev", device));

            firewall.Terminate();
            Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
