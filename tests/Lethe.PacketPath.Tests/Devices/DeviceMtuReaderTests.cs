using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>
/// The firewall's devices are moved into other namespaces, renamed and configured there; their MTU
/// must still be read from the firewall's own namespace.
/// </summary>
public sealed class DeviceMtuReaderTests
{
    [LinuxRootFact]
    public void reads_the_mtu_of_a_device_in_another_namespace_as_it_changes()
    {
        using var lab = TunLab.Open();

        var before = WithReader(reader => Read(reader, lab.Tun));
        lab.Namespace.Ip("link", "set", lab.Tun.Name, "mtu", "1400");
        var after = WithReader(reader => Read(reader, lab.Tun));

        Assert.Equal((1500, 1400), (before, after));
    }

    [LinuxRootFact]
    public void follows_a_device_moved_to_a_third_namespace_and_renamed_there_where_its_old_name_means_nothing()
    {
        using var lab = TunLab.Open();
        using var elsewhere = NetworkNamespace.Create();
        var renamed = $"lm{Random.Shared.Next():x8}";
        lab.Namespace.Ip("link", "set", lab.Tun.Name, "netns", elsewhere.Name);
        elsewhere.Ip("link", "set", lab.Tun.Name, "name", renamed);
        elsewhere.Ip("link", "set", renamed, "mtu", "1300");

        var mtu = WithReader(reader => Read(reader, lab.Tun));

        Assert.Equal(1300, mtu);
        Assert.Throws<IOException>(() => lab.Tun.Mtu);
    }

    [LinuxRootFact]
    public void follows_a_device_its_client_renamed_to_a_name_outside_ascii()
    {
        // The client's namespace is the client's to configure: Linux takes any bytes but '/', ':' and blanks in a name.
        using var lab = TunLab.Open();
        var renamed = $"w\u00f6rk{Random.Shared.Next(1000):d3}";
        lab.Namespace.Ip("link", "set", lab.Tun.Name, "name", renamed);
        lab.Namespace.Ip("link", "set", renamed, "mtu", "1300");

        var mtu = WithReader(reader => Read(reader, lab.Tun));

        Assert.Equal(1300, mtu);
    }

    [LinuxRootFact]
    public void reads_a_device_in_the_readers_own_namespace_without_a_namespace_id()
    {
        using var lab = TunLab.Open();
        lab.Namespace.Ip("link", "set", lab.Tun.Name, "mtu", "1280");

        using var reader = lab.Namespace.Enter(() => new DeviceMtuReader());

        Assert.Equal(1280, Read(reader, lab.Tun));
        Assert.DoesNotContain("nsid", lab.Namespace.Ip("netns", "list-id"));
    }

    [LinuxRootFact]
    public void a_closed_device_gives_the_reason_instead_of_an_mtu()
    {
        var lab = TunLab.Open();
        var tun = lab.Tun;
        lab.Dispose();

        var (read, problem) = WithReader(reader => (reader.TryRead(tun, out _, out var why), why));

        Assert.False(read);
        Assert.Contains("closed", problem);
    }

    private static int Read(DeviceMtuReader reader, TunDevice device)
    {
        Assert.True(reader.TryRead(device, out var mtu, out var problem), problem);
        return mtu;
    }

    private static T WithReader<T>(Func<DeviceMtuReader, T> use)
    {
        using var reader = new DeviceMtuReader();
        return use(reader);
    }
}
