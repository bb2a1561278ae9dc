using Lethe.PacketPath.Tests.Devices;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// `--uplink-tun eth0` is an easy slip from `nft --uplink-interface eth0`: an interface that is no
/// TUN device is refused with what it is, never with advice to delete it (the host's network card).
/// </summary>
public sealed class NotATunTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [LinuxRootFact]
    public async Task boot_on_an_interface_that_is_no_tun_device_does_not_advise_deleting_it()
    {
        var (code, output, err) = await FirewallProcess.Run(false, "boot", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--uplink-tun", "lo", "--workers", "1");

        Assert.Equal(1, code);
        Assert.Contains("cannot attach to the devices: TUNSETIFF for \"lo\"", err);
        Assert.Contains("lo is a loopback interface, not a TUN device; give --uplink-tun or --client-tun a TUN device's name", err);
        Assert.DoesNotContain("delete it", err);
        Assert.DoesNotContain("forwarding on", output);
    }
}
