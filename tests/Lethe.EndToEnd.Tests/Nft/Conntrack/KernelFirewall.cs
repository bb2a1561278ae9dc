using System.Diagnostics;
using System.Net;
using Lethe.Domain.Snapshots;
using Lethe.Firewall.Nft;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Tests.Devices;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests.Nft.Conntrack;

/// <summary>
/// The kernel as the firewall: a namespace of the test's own forwarding between TUN devices, one link
/// per client and the uplink, with the ruleset <see cref="NftRenderer"/> prints for a policy loaded
/// (and replaced by the next policy's with <c>nft -f</c>, as <c>lethe-firewall nft</c>'s output is).
/// The test holds every device, so it plays the clients and the internet and sees every packet the
/// kernel forwards or answers, as it sees Lethe's engine do with the same packet.
/// </summary>
internal sealed class KernelFirewall : IDisposable
{
    private readonly byte[] _buffer = new byte[TunDevice.MaxPacketLength];
    private readonly string _uplink4;
    private readonly string _uplink6;

    /// <summary>The routes to the loaded policy's clients, taken away when the next policy is loaded.</summary>
    private readonly List<string> _clientRoutes = [];

    private KernelFirewall(NetworkNamespace ns, TunDevice[] links, TunDevice uplink, string uplink4, string uplink6)
    {
        Namespace = ns;
        Links = links;
        Uplink = uplink;
        _uplink4 = uplink4;
        _uplink6 = uplink6;
    }

    public NetworkNamespace Namespace { get; }

    /// <summary>The clients' links: the policy's client number i is on link i.</summary>
    public IReadOnlyList<TunDevice> Links { get; }

    public TunDevice Client => Links[0];

    public TunDevice Uplink { get; }

    /// <summary>The ruleset of <paramref name="content"/>, whose one client is on the one link.</summary>
    public static KernelFirewall Start(SnapshotContent content, string uplink4, string uplink6)
    {
        var firewall = Open(1, uplink4, uplink6);
        try
        {
            firewall.Load(content, new NftOptions());
            // The links' own start (IPv6 chatter) is over before the first packet.
            Thread.Sleep(200);
            return firewall;
        }
        catch
        {
            firewall.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A namespace forwarding between <paramref name="links"/> client links and the uplink, with no ruleset yet.
    /// The kernel's own rate limits on the ICMP errors it sends are off, so that it answers every packet
    /// its ruleset rejects, as Lethe's engine does when its limit is raised out of the way.
    /// </summary>
    /// <param name="clientSide4">The firewall's address on each client link (its answers come from it).</param>
    /// <param name="uplinkPrefix4">The prefix the uplink holds its addresses with (32 and 128: the addresses alone).</param>
    public static KernelFirewall Open(int links, string uplink4, string uplink6, string clientSide4 = "10.137.0.1", string clientSide6 = "fd09::1",
        int uplinkPrefix4 = 24, int uplinkPrefix6 = 64)
    {
        var ns = NetworkNamespace.Create();
        var opened = new List<TunDevice>();
        try
        {
            Sysctl(ns, "net.ipv6.conf.default.router_solicitations=0", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0", "net.ipv4.icmp_msgs_per_sec=1000000", "net.ipv4.icmp_msgs_burst=1000000");
            var options = new TunOptions { VirtioHeader = false };
            for (var i = 0; i < links; i++)
            {
                opened.Add(ns.Enter(() => TunDevice.Open($"ltc{Random.Shared.Next():x6}"[..9], options)));
            }
            var uplink = ns.Enter(() => TunDevice.Open($"ltu{Random.Shared.Next():x6}"[..9], options));
            opened.Add(uplink);
            ns.Ip("link", "set", "lo", "up");
            foreach (var link in opened[..^1])
            {
                ns.Ip("addr", "add", clientSide4 + "/32", "dev", link.Name);
                ns.Ip("addr", "add", clientSide6 + "/128", "dev", link.Name, "nodad");
                ns.Ip("link", "set", link.Name, "up");
            }
            ns.Ip("addr", "add", $"{uplink4}/{uplinkPrefix4}", "dev", uplink.Name);
            ns.Ip("addr", "add", $"{uplink6}/{uplinkPrefix6}", "dev", uplink.Name, "nodad");
            ns.Ip("link", "set", uplink.Name, "up");
            ns.Ip("route", "add", "default", "dev", uplink.Name);
            ns.Ip("-6", "route", "add", "default", "dev", uplink.Name);
            Sysctl(ns, "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
            return new KernelFirewall(ns, [.. opened[..^1]], uplink, uplink4, uplink6);
        }
        catch
        {
            foreach (var device in opened)
            {
                device.Dispose();
            }
            ns.Dispose();
            throw;
        }
    }

    private static void Sysctl(NetworkNamespace ns, params string[] settings) =>
        Command.Run("ip", ["netns", "exec", ns.Name, "sysctl", "-qw", .. settings]);

    /// <summary>
    /// Replaces the ruleset with <paramref name="content"/>'s, rendered with <paramref name="options"/> plus this
    /// namespace's interfaces and uplink addresses, and routes each client's addresses to its link.
    /// </summary>
    public void Load(SnapshotContent content, NftOptions options)
    {
        if (content.Clients.Count > Links.Count)
        {
            throw new ArgumentException($"{content.Clients.Count} clients, {Links.Count} links");
        }
        var routes = new List<string>();
        for (var c = 0; c < content.Clients.Count; c++)
        {
            foreach (var address in content.Clients[c].Addresses)
            {
                routes.Add($"{address}/{(address.Contains(':') ? 128 : 32)} dev {Links[c].Name}");
            }
        }
        var batch = _clientRoutes.Select(r => "route del " + r).Concat(routes.Select(r => "route add " + r));
        var batchFile = Path.Combine(Path.GetTempPath(), "lethe-kf-" + Guid.NewGuid().ToString("N") + ".ip");
        var script = NftRenderer.Render(content, options with
        {
            NowUnix = options.NowUnix == 0 ? DateTimeOffset.UtcNow.ToUnixTimeSeconds() : options.NowUnix,
            UplinkInterface = Uplink.Name,
            ClientInterfaces = Enumerable.Range(0, content.Clients.Count)
                .ToDictionary(c => content.Clients[c].Name, c => (IReadOnlyList<string>)new[] { Links[c].Name }),
            UplinkV4 = IPAddress.Parse(_uplink4),
            UplinkV6 = IPAddress.Parse(_uplink6),
        });
        try
        {
            File.WriteAllLines(batchFile, batch);
            Command.Run("ip", "-n", Namespace.Name, "-batch", batchFile);
            _clientRoutes.Clear();
            _clientRoutes.AddRange(routes);
        }
        finally
        {
            File.Delete(batchFile);
        }
        NftLoad.Into(Namespace, script);
        Thread.Sleep(20);
        foreach (var link in Links)
        {
            Drain(link, []);
        }
        Drain(Uplink, []);
    }

    /// <summary>Writes one packet as the client on the first link (or the internet) and collects what leaves each device within a few milliseconds.</summary>
    public (List<byte[]> ToClient, List<byte[]> ToUplink) Send(byte[] packet, bool fromUplink)
    {
        var seen = Send(packet, fromUplink ? -1 : 0);
        return (seen[0], seen[^1]);
    }

    /// <summary>
    /// Writes one packet from link <paramref name="from"/> (-1: the uplink) and collects what leaves each
    /// device within a few milliseconds: per link, in <see cref="Links"/>' order, then the uplink's.
    /// </summary>
    public List<byte[]>[] Send(byte[] packet, int from)
    {
        (from < 0 ? Uplink : Links[from]).Write(0, packet);
        var seen = new List<byte[]>[Links.Count + 1];
        for (var i = 0; i < seen.Length; i++)
        {
            seen[i] = [];
        }
        // A TUN write is forwarded within the write (the softirq runs as it ends); the wait is a margin.
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 3)
        {
            DrainAll(seen);
            Thread.Sleep(1);
        }
        DrainAll(seen);
        return seen;
    }

    private void DrainAll(List<byte[]>[] into)
    {
        for (var i = 0; i < Links.Count; i++)
        {
            Drain(Links[i], into[i]);
        }
        Drain(Uplink, into[^1]);
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
        foreach (var link in Links)
        {
            link.Dispose();
        }
        Uplink.Dispose();
        Namespace.Dispose();
    }
}
