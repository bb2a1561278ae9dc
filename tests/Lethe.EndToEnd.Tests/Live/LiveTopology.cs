using System.Globalization;
using System.Net;
using Lethe.PacketPath.Tests.Devices;
using Lethe.TestSupport.Host;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// Three namespaces of the test's own (client 1, client 2, the uplink host) with echo servers in
/// them, and `lethe-firewall boot` between them, booted from one policy's latest snapshot on the
/// control plane. The firewall creates its TUN devices; once it forwards, each device is moved into
/// its namespace and given its addresses. Dispose kills the firewall (its devices vanish with it)
/// and deletes the namespaces, also after a failure.
/// </summary>
public sealed class LiveTopology : IAsyncDisposable
{
    private readonly ControlPlaneHost _host;
    private readonly string _policy;
    private readonly double _watchSeconds;
    private readonly string? _onlyCapability;
    private readonly string[] _extraBoot;
    private readonly List<NetworkNamespace> _namespaces = [];
    private readonly List<IDisposable> _servers = [];

    private LiveTopology(ControlPlaneHost host, string policy, double watchSeconds, string? onlyCapability, string[] extraBoot)
    {
        _onlyCapability = onlyCapability;
        _extraBoot = extraBoot;
        _host = host;
        _policy = policy;
        _watchSeconds = watchSeconds;
    }

    public NetworkNamespace Client1 { get; private set; } = null!;
    public NetworkNamespace Client2 { get; private set; } = null!;
    public NetworkNamespace Uplink { get; private set; } = null!;

    /// <summary>The uplink host's TCP echo servers, by port.</summary>
    public Dictionary<int, TcpEcho> UplinkTcp { get; } = [];

    /// <summary>The uplink host's UDP echo servers, by port.</summary>
    public Dictionary<int, UdpEcho> UplinkUdp { get; } = [];

    public Dictionary<int, TcpEcho> Client1Tcp { get; } = [];

    public Dictionary<int, TcpEcho> Client2Tcp { get; } = [];

    public FirewallProcess? Firewall { get; private set; }

    /// <summary>The devices of the firewall running now (fresh names on every boot).</summary>
    public LiveDevices Devices { get; private set; } = new("", "", "");

    /// <param name="onlyCapability">Runs the firewall as root with this one capability and no other (as compose.yaml runs it), instead of with all of root's.</param>
    /// <param name="extraBoot">More `lethe-firewall boot` flags, such as --dns.</param>
    public static async Task<LiveTopology> Start(ControlPlaneHost host, string policy, double watchSeconds = 5, string? onlyCapability = null,
        string[]? extraBoot = null)
    {
        var lab = new LiveTopology(host, policy, watchSeconds, onlyCapability, extraBoot ?? []);
        try
        {
            lab.Client1 = lab.Namespace();
            lab.Client2 = lab.Namespace();
            lab.Uplink = lab.Namespace();
            // First the devices and addresses: the UDP servers bind to the uplink host's addresses.
            await lab.Boot();
            int[] uplinkTcp = [LiveNet.Ports.Echo, LiveNet.Ports.Bulk, LiveNet.Ports.Denied, LiveNet.Ports.Rejected, LiveNet.Ports.NotBetweenClients];
            foreach (var port in uplinkTcp)
            {
                lab.UplinkTcp[port] = lab.Serve(TcpEcho.Start(lab.Uplink, port));
            }
            foreach (var port in new[] { LiveNet.Ports.Echo, LiveNet.Ports.Denied })
            {
                lab.UplinkUdp[port] = lab.Serve(UdpEcho.Start(lab.Uplink, port, LiveNet.UplinkV4, LiveNet.ElsewhereV4, LiveNet.UplinkV6, LiveNet.ElsewhereV6));
            }
            foreach (var port in new[] { LiveNet.Ports.BetweenClients, LiveNet.Ports.NotBetweenClients })
            {
                lab.Client1Tcp[port] = lab.Serve(TcpEcho.Start(lab.Client1, port));
                lab.Client2Tcp[port] = lab.Serve(TcpEcho.Start(lab.Client2, port));
            }
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts the firewall with fresh device names, waits until it forwards, then puts each device
    /// into its namespace: up, addressed, routed. The TUN is a layer-3 point-to-point link: no ARP,
    /// and IPv6 addresses skip duplicate address detection (nodad) so they are usable at once.
    /// </summary>
    public async Task Boot()
    {
        if (Firewall is { } previous)
        {
            await previous.DisposeAsync();
        }
        var tag = $"lf{Random.Shared.Next(0x1000000):x6}";
        Devices = new LiveDevices(tag + "c1", tag + "c2", tag + "up");
        MetricsPort = FreeLoopbackPort();
        string[] boot = [
            "boot", "--snapshot", $"{_host.Url}/policies/{_policy}/snapshots/latest", "--trust", _host.PublicKeyPath,
            "--token", ControlPlaneHost.ViewerToken, "--watch-seconds", _watchSeconds.ToString(CultureInfo.InvariantCulture),
            "--client-tun", $"{LiveNet.Client1}={Devices.Client1}", "--client-tun", $"{LiveNet.Client2}={Devices.Client2}",
            "--uplink-tun", Devices.Uplink,
            "--uplink-address", LiveNet.FirewallV4.ToString(), "--uplink-address", LiveNet.FirewallV6.ToString(),
            "--workers", "2", "--metrics", $"127.0.0.1:{MetricsPort}", .. _extraBoot];
        Firewall = _onlyCapability is { } capability ? FirewallProcess.StartWithOnly(capability, boot) : FirewallProcess.Start(false, boot);
        await Firewall.WaitForOutput("forwarding on", TimeSpan.FromSeconds(30));

        Attach(Uplink, Devices.Uplink,
            [$"{LiveNet.UplinkV4}/24", $"{LiveNet.UplinkV6}/64", $"{LiveNet.ElsewhereV4}/32", $"{LiveNet.ElsewhereV6}/128"],
            // Routes to the clients' networks, so the uplink host's unsolicited packets do reach the firewall (and are dropped there).
            ["192.0.2.0/24", "2001:db8:1::/64"]);
        Attach(Client1, Devices.Client1, [$"{LiveNet.Client1V4}/32", $"{LiveNet.Client1V6}/128"], ["default", "default"]);
        Attach(Client2, Devices.Client2, [$"{LiveNet.Client2V4}/32", $"{LiveNet.Client2V6}/128"], ["default", "default"]);
    }

    private static void Attach(NetworkNamespace ns, string device, string[] addresses, string[] routes)
    {
        Command.Run("ip", "link", "set", device, "netns", ns.Name);
        ns.Ip("link", "set", device, "up");
        foreach (var address in addresses)
        {
            if (address.Contains(':'))
            {
                ns.Ip("addr", "add", address, "dev", device, "nodad");
            }
            else
            {
                ns.Ip("addr", "add", address, "dev", device);
            }
        }
        // routes[0] is IPv4, routes[1] IPv6.
        ns.Ip("-4", "route", "add", routes[0], "dev", device);
        ns.Ip("-6", "route", "add", routes[1], "dev", device);
    }

    /// <summary>SIGKILL: no chance to clean up, as a crash or a power cut.</summary>
    public async Task KillFirewall()
    {
        if (Firewall is { } firewall)
        {
            await firewall.Kill();
        }
    }

    /// <summary>The devices of the last boot that still exist anywhere (the namespaces or the test's own).</summary>
    public IEnumerable<string> RemainingDevices()
    {
        foreach (var (ns, device) in new[] { (Client1, Devices.Client1), (Client2, Devices.Client2), (Uplink, Devices.Uplink) })
        {
            if (Command.TryRun("ip", "-n", ns.Name, "link", "show", "dev", device) || Command.TryRun("ip", "link", "show", "dev", device))
            {
                yield return device;
            }
        }
    }

    /// <summary>The loopback port (of the test's own namespace) where the running firewall serves its counters.</summary>
    public int MetricsPort { get; private set; }

    /// <summary>One unlabelled counter or gauge from the firewall's /metrics.</summary>
    public async Task<long> Metric(string name)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{MetricsPort}/metrics");
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"the firewall's metrics have no {name}:\n{text}");
        return long.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The metric once <paramref name="reached"/> holds for it, or its last value when
    /// <see cref="Probe.Wait"/> and <paramref name="longer"/> have run out: the firewall counts and
    /// reads on its own threads, a moment after what the test did.
    /// </summary>
    public async Task<long> MetricOnce(string name, Func<long, bool> reached, TimeSpan longer = default)
    {
        var deadline = DateTime.UtcNow + Probe.Wait + longer;
        var value = await Metric(name);
        while (!reached(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            value = await Metric(name);
        }
        return value;
    }

    /// <summary>A free loopback TCP port for --metrics, which the firewall binds seconds later.</summary>
    private static int FreeLoopbackPort() => LoopbackPorts.BelowEphemeralRange(port =>
    {
        try
        {
            using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
            probe.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false; // taken: try another
        }
    });

    /// <summary>What the firewall printed: the context every failure message needs.</summary>
    public string Describe() => Firewall is { } f ? $"lethe-firewall stdout:\n{f.Out}\nstderr:\n{f.Err}" : "lethe-firewall is not running";

    private NetworkNamespace Namespace()
    {
        var ns = NetworkNamespace.Create();
        _namespaces.Add(ns);
        ns.Ip("link", "set", "lo", "up");
        return ns;
    }

    private T Serve<T>(T server) where T : IDisposable
    {
        _servers.Add(server);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (Firewall is { } firewall)
        {
            await firewall.DisposeAsync();
        }
        foreach (var server in _servers)
        {
            server.Dispose();
        }
        foreach (var ns in _namespaces)
        {
            ns.Dispose();
        }
    }
}

/// <summary>The names of the firewall's TUN devices for one boot.</summary>
public sealed record LiveDevices(string Client1, string Client2, string Uplink);
