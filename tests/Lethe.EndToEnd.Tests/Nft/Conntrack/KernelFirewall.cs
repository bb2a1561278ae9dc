using System.Diagnostics;
using Lethe.Domain.Snapshots;
using Lethe.Firewall.Nft;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Tests.Devices;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests.Nft.Conntrack;

/// <summary>
/// The kernel as the firewall: a namespace of the test's own forwarding between two TUN devices, the
/// client "work"'s link and the uplink, with the ruleset <see cref="NftRenderer"/> prints for a policy
/// loaded. The test holds both devices, so it plays the client and the internet and sees every packet
/// the kernel forwards or answers, as it sees Lethe's engine do with the same packet.
/// </summary>
internal sealed class KernelFirewall : IDisposable
{
    private readonly byte[] _buffer = new byte[TunDevice.MaxPacketLength];

    private KernelFirewall(NetworkNamespace ns, TunDevice client, TunDevice uplink)
    {
        Namespace = ns;
        Client = client;
        Uplink = uplink;
    }

    public NetworkNamespace Namespace { get; }

    public TunDevice Client { get; }

    public TunDevice Uplink { get; }

    public static KernelFirewall Start(SnapshotContent content, string client4, string client6, string uplink4, string uplink6)
    {
        var ns = NetworkNamespace.Create();
        TunDevice? client = null;
        TunDevice? uplink = null;
        try
        {
            Command.Run("ip", "netns", "exec", ns.Name, "sysctl", "-qw", "net.ipv6.conf.default.router_solicitations=0",
                "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
            var options = new TunOptions { VirtioHeader = false };
            client = ns.Enter(() => TunDevice.Open($"ltc{Random.Shared.Next():x6}"[..9], options));
            uplink = ns.Enter(() => TunDevice.Open($"ltu{Random.Shared.Next():x6}"[..9], options));
            ns.Ip("link", "set", "lo", "up");
            ns.Ip("addr", "add", "10.137.0.1/32", "dev", client.Name);
            ns.Ip("addr", "add", "fd09::1/128", "dev", client.Name, "nodad");
            ns.Ip("addr", "add", uplink4 + "/24", "dev", uplink.Name);
            ns.Ip("addr", "add", uplink6 + "/64", "dev", uplink.Name, "nodad");
            ns.Ip("link", "set", client.Name, "up");
            ns.Ip("link", "set", uplink.Name, "up");
            ns.Ip("route", "add", client4 + "/32", "dev", client.Name);
            ns.Ip("route", "add", client6 + "/128", "dev", client.Name);
            ns.Ip("route", "add", "default", "dev", uplink.Name);
            ns.Ip("-6", "route", "add", "default", "dev", uplink.Name);
            Command.Run("ip", "netns", "exec", ns.Name, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
            var script = NftRenderer.Render(content, new NftOptions
            {
                NowUnix = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                UplinkInterface = uplink.Name,
                ClientInterfaces = new Dictionary<string, IReadOnlyList<string>> { ["work"] = [client.Name] },
                UplinkV4 = System.Net.IPAddress.Parse(uplink4),
                UplinkV6 = System.Net.IPAddress.Parse(uplink6),
            });
            var file = Path.Combine(Path.GetTempPath(), "lethe-ct-" + Guid.NewGuid().ToString("N") + ".nft");
            File.WriteAllText(file, script);
            try
            {
                Command.Run("ip", "netns", "exec", ns.Name, NftCheck.Required, "-f", file);
            }
            finally
            {
                File.Delete(file);
            }
            var firewall = new KernelFirewall(ns, client, uplink);
            Thread.Sleep(200);
            firewall.Drain(client, []);
            firewall.Drain(uplink, []);
            return firewall;
        }
        catch
        {
            client?.Dispose();
            uplink?.Dispose();
            ns.Dispose();
            throw;
        }
    }

    /// <summary>Writes one packet as the client (or the internet) and collects what leaves each device within a few milliseconds.</summary>
    public (List<byte[]> ToClient, List<byte[]> ToUplink) Send(byte[] packet, bool fromUplink)
    {
        (fromUplink ? Uplink : Client).Write(0, packet);
        var toClient = new List<byte[]>();
        var toUplink = new List<byte[]>();
        // A TUN write is forwarded within the write (the softirq runs as it ends); the wait is a margin.
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 3)
        {
            Drain(Client, toClient);
            Drain(Uplink, toUplink);
            Thread.Sleep(1);
        }
        Drain(Client, toClient);
        Drain(Uplink, toUplink);
        return (toClient, toUplink);
    }

    private void Drain(TunDevice device, List<byte[]> into)
    {
        int length;
        while ((length = device.TryRead(0, _buffer)) > 0)
        {
            var packet = _buffer[..length];
            if (!IsChatter(packet))
            {
                into.Add(packet);
            }
        }
    }

    /// <summary>The namespace's own IPv6 link chatter (MLD, router solicitations), from a link-local or to a multicast address.</summary>
    private static bool IsChatter(byte[] packet) =>
        packet.Length >= 40 && packet[0] >> 4 == 6 && (packet[8] == 0xfe && (packet[9] & 0xc0) == 0x80 || packet[24] == 0xff || packet[8] == 0 && packet[23] == 0);

    public void Dispose()
    {
        Client.Dispose();
        Uplink.Dispose();
        Namespace.Dispose();
    }
}
