using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>What rtnetlink says of an interface: its kind, and the queues a multi-queue TUN device's holders have open.</summary>
public sealed class LinkInfoTests
{
    [LinuxRootFact]
    public void a_loopback_device_is_of_its_link_type_with_no_queues()
    {
        using var ns = NetworkNamespace.Create();

        var lo = ns.Enter(() => LinkInfo.Read("lo"));

        Assert.Equal(new LinkInfo("loopback", null, null), lo);
        Assert.Equal("a loopback interface", lo.Described);
        Assert.False(lo.IsTunOrTap);
    }

    [LinuxRootFact]
    public void a_multi_queue_tun_device_counts_the_queues_attached_to_it()
    {
        using var ns = NetworkNamespace.Create();
        var name = $"lk{Random.Shared.Next():x8}";
        ns.Ip("tuntap", "add", "dev", name, "mode", "tun", "multi_queue");
        var before = ns.Enter(() => LinkInfo.Read(name));

        using var tun = ns.Enter(() => TunDevice.Open(name, new TunOptions { Queues = 3 }));
        var open = ns.Enter(() => LinkInfo.Read(name));

        Assert.Equal(new LinkInfo("tun", 0, 0), before);
        Assert.Equal(new LinkInfo("tun", 3, 0), open);
        Assert.True(open.IsTunOrTap);
    }

    [LinuxRootFact]
    public void an_interface_that_does_not_exist_is_an_error_naming_it()
    {
        using var ns = NetworkNamespace.Create();

        var missing = Assert.Throws<IOException>(() => ns.Enter(() => LinkInfo.Read("lk-missing")));

        Assert.StartsWith("RTM_GETLINK lk-missing: errno 19", missing.Message);
    }
}
