using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>
/// The firewall's devices are moved into other namespaces, renamed and configured there; their MTU
/// must still be read, and the reading thread must end up where it started.
/// </summary>
public sealed class DeviceMtuReaderTests
{
    [LinuxRootFact]
    public void reads_the_mtu_of_a_device_in_another_namespace_as_it_changes()
    {
        using var lab = TunLab.Open();

        var before = OnOwnThread(reader => Read(reader, lab.Tun));
        lab.Namespace.Ip("link", "set", lab.Tun.Name, "mtu", "1400");
        var after = OnOwnThread(reader => Read(reader, lab.Tun));

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

        var mtu = OnOwnThread(reader => Read(reader, lab.Tun));

        Assert.Equal(1300, mtu);
        Assert.Throws<IOException>(() => lab.Tun.Mtu);
    }

    [LinuxRootFact]
    public void the_reading_thread_is_back_in_its_own_namespace_afterwards()
    {
        using var lab = TunLab.Open();

        var (home, afterwards) = OnOwnThread(reader =>
        {
            var home = File.ResolveLinkTarget("/proc/thread-self/ns/net", returnFinalTarget: false)!.FullName;
            Read(reader, lab.Tun);
            return (home, File.ResolveLinkTarget("/proc/thread-self/ns/net", returnFinalTarget: false)!.FullName);
        });

        Assert.Equal(home, afterwards);
    }

    [LinuxRootFact]
    public void a_closed_device_gives_the_reason_instead_of_an_mtu()
    {
        var lab = TunLab.Open();
        var tun = lab.Tun;
        lab.Dispose();

        var (read, problem) = OnOwnThread(reader => (reader.TryRead(tun, out _, out var why), why));

        Assert.False(read);
        Assert.Contains("closed", problem);
    }

    private static int Read(DeviceMtuReader reader, TunDevice device)
    {
        Assert.True(reader.TryRead(device, out var mtu, out var problem), problem);
        return mtu;
    }

    /// <summary>The reader moves its thread between namespaces, so each use gets a thread of its own, as the firewall gives it.</summary>
    private static T OnOwnThread<T>(Func<DeviceMtuReader, T> use)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var reader = new DeviceMtuReader();
                result = use(reader);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException("the reading thread failed", failure);
        }
        return result;
    }
}
