using Lethe.PacketPath.Tests.Devices;
using Lethe.TestSupport.Host;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// What the live tests share: the real control plane, and (made on first use) one firewall with
/// policy "live" between three namespaces, for the tests that neither swap nor kill it. Those that
/// do publish their own policy and run their own firewall, so they cannot disturb the others.
/// </summary>
public sealed class LiveLab : IAsyncLifetime
{
    private readonly Lock _lock = new();
    private Task<LiveTopology>? _shared;

    public ControlPlaneHost Host { get; private set; } = null!;

    /// <summary>The ids the control plane gave <see cref="SharedPolicy"/>'s rules, by client and rule text; set once <see cref="Shared"/> has booted.</summary>
    public IReadOnlyDictionary<(string Client, string Rule), string> SharedRuleIds { get; private set; } = new Dictionary<(string, string), string>();

    /// <summary>
    /// Client 1 reaches the uplink host (only 198.51.100.1 / 2001:db8:2::1) on TCP 7000-7001 and
    /// ping, anywhere on UDP 7000, gets a reset on TCP 7003, and reaches client 2 on TCP 7100 only.
    /// Its catch-all accept of TCP 7101 must not open client 2 (a catch-all never opens another
    /// client). Everything else is dropped. Client 2 has the Qubes default, accept everything,
    /// which still does not open client 1.
    /// </summary>
    public static readonly LiveClient[] SharedPolicy =
    [
        new(LiveNet.Client1, LivePolicy.Addresses1,
        [
            $"action=accept dst4={LiveNet.UplinkV4}/32 proto=tcp dstports={LiveNet.Ports.Echo}-{LiveNet.Ports.Bulk}",
            $"action=accept dst6={LiveNet.UplinkV6}/128 proto=tcp dstports={LiveNet.Ports.Echo}-{LiveNet.Ports.Bulk}",
            $"action=reject proto=tcp dstports={LiveNet.Ports.Rejected}",
            $"action=accept proto=udp dstports={LiveNet.Ports.Echo}",
            $"action=accept dst4={LiveNet.UplinkV4}/32 proto=icmp icmptype=8",
            $"action=accept dst6={LiveNet.UplinkV6}/128 proto=icmp icmptype=128",
            $"action=accept dst4={LiveNet.Client2V4}/32 proto=tcp dstports={LiveNet.Ports.BetweenClients}",
            $"action=accept dst6={LiveNet.Client2V6}/128 proto=tcp dstports={LiveNet.Ports.BetweenClients}",
            $"action=accept proto=tcp dstports={LiveNet.Ports.NotBetweenClients}",
            "action=drop",
        ]),
        new(LiveNet.Client2, LivePolicy.Addresses2, ["action=accept"]),
    ];

    public async Task InitializeAsync()
    {
        // xunit builds fixtures even when every test is skipped: do nothing where the tests cannot run.
        if (LinuxRootFactAttribute.WhyNot() is null)
        {
            Host = await ControlPlaneHost.Start();
        }
    }

    /// <summary>The shared firewall, booted on first use; a failed boot fails every test that needs it, with the same error.</summary>
    public Task<LiveTopology> Shared()
    {
        lock (_lock)
        {
            return _shared ??= BootShared();
        }
    }

    private async Task<LiveTopology> BootShared()
    {
        using var http = Host.Client();
        SharedRuleIds = await LivePolicy.Publish(http, "live", SharedPolicy);
        return await LiveTopology.Start(Host, "live");
    }

    public async Task DisposeAsync()
    {
        if (_shared is { IsCompletedSuccessfully: true })
        {
            await (await _shared).DisposeAsync();
        }
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class LiveCollection : ICollectionFixture<LiveLab>
{
    /// <summary>One collection: the live tests run one after another, never two firewalls' traffic at once.</summary>
    public const string Name = "Live data plane";
}
