using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Tests.Devices;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Forwarding;

/// <summary>
/// The client namespace: an injector TUN (the test's client, writing its own virtio-net headers)
/// and the firewall's client TUN with the default route. The uplink namespace: the firewall's
/// uplink TUN and, for 203.0.113.0/24, a TUN without offloads (the test reads what leaves).
/// </summary>
internal sealed class OffloadLab : IDisposable
{
    public const string Client = "192.0.2.10";
    public const string Uplink = "198.51.100.2";
    public const string Target = "203.0.113.5";

    private readonly List<IDisposable> _owned = [];

    /// <param name="clientMtu">The MTU of the client namespace's two devices, larger than the uplink's 1500 (0: their default).</param>
    public OffloadLab(string rule, int clientMtu = 0)
    {
        try
        {
            var client = Own(NetworkNamespace.Create());
            var uplink = Own(NetworkNamespace.Create());
            var suffix = $"{Random.Shared.Next():x6}";
            Inject = Own(client.Enter(() => TunDevice.Open($"ldi{suffix}", new TunOptions())));
            var clientTun = Own(client.Enter(() => TunDevice.Open($"ldc{suffix}", new TunOptions())));
            var uplinkTun = Own(uplink.Enter(() => TunDevice.Open($"ldu{suffix}", new TunOptions())));
            Beyond = Own(uplink.Enter(() => TunDevice.Open($"ldo{suffix}", new TunOptions { VirtioHeader = false })));
            client.Ip("link", "set", Inject.Name, "up");
            client.Ip("addr", "add", "10.77.0.1/24", "dev", Inject.Name);
            client.Ip("link", "set", clientTun.Name, "up");
            if (clientMtu > 0)
            {
                client.Ip("link", "set", Inject.Name, "mtu", $"{clientMtu}");
                client.Ip("link", "set", clientTun.Name, "mtu", $"{clientMtu}");
            }
            client.Ip("route", "add", "default", "dev", clientTun.Name);
            uplink.Ip("link", "set", uplinkTun.Name, "up");
            uplink.Ip("addr", "add", "198.51.100.1/24", "dev", uplinkTun.Name);
            uplink.Ip("link", "set", Beyond.Name, "up");
            uplink.Ip("addr", "add", "203.0.113.1/24", "dev", Beyond.Name);
            foreach (var (ns, device) in new[] { (client, Inject.Name), (uplink, uplinkTun.Name) })
            {
                Command.Run("ip", "netns", "exec", ns.Name, "sysctl", "-qw", "net.ipv4.ip_forward=1",
                    "net.ipv4.conf.all.rp_filter=0", $"net.ipv4.conf.{device}.rp_filter=0");
            }

            var options = new EngineOptions { UplinkV4 = NetAddress.Parse(Uplink) };
            var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
                [new SnapshotClient("work", [Client], [new SnapshotRule("r-1", rule)])]);
            var compiled = CompiledPolicy.Compile(content, []);
            // Disposed first (the list is disposed backwards): the workers stop before their devices close.
            Dataplane = Own(new Dataplane([new AttachedDevice(clientTun, "work"), new AttachedDevice(uplinkTun, null)],
                [new PacketEngine(new ActivePolicy(compiled, 1, compiled.CreateHostTable()), options)], new FlowShards(1, 7)));
            Dataplane.Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public TunDevice Inject { get; } = null!;

    public TunDevice Beyond { get; } = null!;

    public Dataplane Dataplane { get; } = null!;

    private T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
        _owned.Clear();
    }
}
