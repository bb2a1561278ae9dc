using Lethe.PacketPath.Tests.Devices;
using Lethe.TestSupport.Host;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>The operations tests' own rig: namespaces, a firewall whose stdout and stderr go where a test says, a small disk, a fifo.</summary>
public sealed partial class OperationsTests
{
    /// <summary>Namespaces for client 1 and the uplink host (and optionally one for the firewall itself), and a firewall whose output goes where the test says.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly List<NetworkNamespace> _namespaces = [];

        public string Folder { get; } = Directory.CreateTempSubdirectory("lethe-ops-").FullName;
        public NetworkNamespace Client1 { get; private set; } = null!;
        public NetworkNamespace Uplink { get; private set; } = null!;
        public NetworkNamespace? Fw { get; private set; }
        public string Device1 { get; private set; } = "";
        public string DeviceUp { get; private set; } = "";
        public FirewallProcess? Firewall { get; private set; }
        public string PublicKey { get; private init; } = "";

        public static Rig Create(string publicKey, bool firewallNamespace = false)
        {
            var rig = new Rig { PublicKey = publicKey };
            rig.Client1 = rig.Namespace();
            rig.Uplink = rig.Namespace();
            rig.Fw = firewallNamespace ? rig.Namespace() : null;
            var tag = $"lo{Random.Shared.Next(0x1000000):x6}";
            rig.Device1 = tag + "c1";
            rig.DeviceUp = tag + "up";
            return rig;
        }

        public IEnumerable<string> BootArgs(string snapshot, double? watchSeconds)
        {
            string[] args = ["boot", "--snapshot", snapshot, "--trust", PublicKey, "--client-tun", $"{LiveNet.Client1}={Device1}", "--uplink-tun", DeviceUp,
                "--uplink-address", FirewallV4.ToString(), "--workers", "2"];
            return snapshot.StartsWith("http", StringComparison.Ordinal)
                ? [.. args, "--token", ControlPlaneHost.ViewerToken, "--watch-seconds", watchSeconds!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)]
                : args;
        }

        public void Start(string? stdout, string? stderr, string[] args) => Firewall = FirewallProcess.StartWithLogsTo(stdout, stderr, Fw?.Name, args);

        /// <summary>Moves each device into its namespace and configures it there, as LiveTopology does.</summary>
        public void Attach()
        {
            string[] from = Fw is { } fw ? ["-n", fw.Name] : [];
            Command.Run("ip", [.. from, "link", "set", DeviceUp, "netns", Uplink.Name]);
            Uplink.Ip("link", "set", DeviceUp, "up");
            Uplink.Ip("addr", "add", $"{UplinkV4}/24", "dev", DeviceUp);
            Uplink.Ip("-4", "route", "add", "192.0.2.0/24", "dev", DeviceUp);
            Command.Run("ip", [.. from, "link", "set", Device1, "netns", Client1.Name]);
            Client1.Ip("link", "set", Device1, "up");
            Client1.Ip("addr", "add", $"{Client1V4}/32", "dev", Device1);
            Client1.Ip("-4", "route", "add", "default", "dev", Device1);
        }

        public string Describe(string more) =>
            Firewall is { } f ? $"lethe-firewall stdout:\n{f.Out}{more}\nstderr:\n{f.Err}" : "lethe-firewall is not running";

        private NetworkNamespace Namespace()
        {
            var ns = NetworkNamespace.Create();
            _namespaces.Add(ns);
            ns.Ip("link", "set", "lo", "up");
            return ns;
        }

        public async ValueTask DisposeAsync()
        {
            if (Firewall is { } firewall)
            {
                await firewall.DisposeAsync();
            }
            foreach (var ns in _namespaces)
            {
                ns.Dispose();
            }
            Directory.Delete(Folder, recursive: true);
        }
    }

    /// <summary>Whether the firewall printed <paramref name="text"/> on stdout within <paramref name="timeout"/>.</summary>
    private static async Task<bool> OutputWithin(FirewallProcess firewall, string text, TimeSpan timeout)
    {
        try
        {
            await firewall.WaitForOutput(text, timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Its exit code once it has exited, or null when it still runs after <paramref name="timeout"/>.</summary>
    private static async Task<int?> ExitWithin(FirewallProcess firewall, TimeSpan timeout)
    {
        try
        {
            return await firewall.Exit(timeout);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>A 16 KiB tmpfs: a log disk that fills up and is freed again.</summary>
    private sealed class SmallDisk : IDisposable
    {
        private SmallDisk(string path) => Path = path;

        public string Path { get; }

        private string Filler => System.IO.Path.Combine(Path, "filler");

        public static SmallDisk Mount(string under)
        {
            var path = System.IO.Path.Combine(under, "disk");
            Directory.CreateDirectory(path);
            Command.Run("mount", "-t", "tmpfs", "-o", "size=16k,mode=0755", "lethe-ops-disk", path);
            return new SmallDisk(path);
        }

        /// <summary>Takes every free page, then fills the last page of each file in the folder (tmpfs allocates by the page).</summary>
        public void Fill()
        {
            FillUp(Filler, FileMode.Create, 4096);
            foreach (var log in Directory.GetFiles(Path).Where(f => f != Filler))
            {
                FillUp(log, FileMode.Append, 1);
            }
        }

        private static void FillUp(string path, FileMode mode, int chunk)
        {
            try
            {
                using var file = new FileStream(path, mode, FileAccess.Write, FileShare.ReadWrite, 1);
                var bytes = new byte[chunk];
                Array.Fill(bytes, (byte)'\n');
                for (var i = 0; i < 64 * 4096 / chunk; i++)
                {
                    file.Write(bytes);
                }
            }
            catch (IOException)
            {
                // ENOSPC: full, as meant.
            }
        }

        public void Free() => File.Delete(Filler);

        public void Dispose() => Command.TryRun("umount", "-l", Path);
    }
}
