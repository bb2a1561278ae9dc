using Lethe.PacketPath.Tests.Devices;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// Devices an operator made beforehand (`ip tuntap add ... multi_queue`) are attached to, not
/// created, and outlive the firewall, as persistent devices do; boot refuses a device it cannot use.
/// </summary>
public sealed class AttachTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [LinuxRootFact]
    public async Task boot_attaches_to_devices_made_beforehand_and_leaves_them_when_it_stops()
    {
        var tag = $"la{Random.Shared.Next(0x1000000):x6}";
        string[] devices = [tag + "w", tag + "u"];
        try
        {
            foreach (var device in devices)
            {
                Command.Run("ip", "tuntap", "add", "dev", device, "mode", "tun", "multi_queue", "vnet_hdr");
            }
            await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", policy.V1, "--trust", policy.PublicKey,
                "--client-tun", $"work={devices[0]}", "--uplink-tun", devices[1], "--uplink-address", "198.51.100.2", "--workers", "2");
            await firewall.WaitForOutput("forwarding on 2 device(s) with 2 worker(s)", TimeSpan.FromSeconds(30));
            Assert.Contains($"device {devices[0]}: client work, 2 queue(s), offloads", firewall.Out);
            Assert.Contains($"device {devices[1]}: uplink, 2 queue(s), offloads", firewall.Out);

            firewall.Terminate();
            Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
            Assert.All(devices, d => Assert.True(Command.TryRun("ip", "link", "show", "dev", d), $"{d} was made beforehand and must outlive the firewall"));
        }
        finally
        {
            foreach (var device in devices)
            {
                Command.TryRun("ip", "tuntap", "del", "dev", device, "mode", "tun", "multi_queue");
            }
        }
    }

    [LinuxRootFact]
    public async Task boot_refuses_a_device_made_without_multiple_queues_and_names_it()
    {
        var device = $"ls{Random.Shared.Next(0x1000000):x6}";
        try
        {
            Command.Run("ip", "tuntap", "add", "dev", device, "mode", "tun");

            var (code, output, err) = await FirewallProcess.Run(false, "boot", "--snapshot", policy.V1, "--trust", policy.PublicKey,
                "--uplink-tun", device, "--workers", "2");

            Assert.Equal(1, code);
            Assert.Contains($"cannot attach to the devices: TUNSETIFF for \"{device}\"", err);
            Assert.DoesNotContain("forwarding on", output);
        }
        finally
        {
            Command.TryRun("ip", "tuntap", "del", "dev", device, "mode", "tun");
        }
    }
}
