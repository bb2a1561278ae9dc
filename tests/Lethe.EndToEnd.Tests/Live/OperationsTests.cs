using System.Net;
using System.Net.Sockets;
using System.Text;
using Lethe.PacketPath.Tests.Devices;
using Lethe.TestSupport.Host;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// What an operator meets around the running firewall: its log going nowhere (a reader that
/// stalls, a disk that fills), a SIGHUP right after a (re)start, a restart after a client was removed.
/// Each test runs its own policy, namespaces and firewall.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed partial class OperationsTests(LiveLab lab)
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(30);

    // A stdout reader that stalls (a blocked log pipe, a log driver in blocking mode, Ctrl-S in a terminal).
    [LinuxRootFact]
    public async Task a_stalled_stdout_reader_neither_holds_back_a_published_drop_nor_keeps_sigterm_from_ending_the_firewall()
    {
        const string policy = "ops-stdout-stalled";
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, policy,
            new LiveClient(Client1, LivePolicy.Addresses1, ["action=accept proto=udp"]),
            new LiveClient(Client2, LivePolicy.Addresses2, []));
        await using var rig = Rig.Create(lab.Host.PublicKeyPath);
        var fifo = Path.Combine(rig.Folder, "stdout.fifo");
        Command.Run("mkfifo", fifo);
        var reader = Libc.open(fifo, Libc.ORdOnly | Libc.ONonBlock);
        Assert.True(reader >= 0, "cannot open the fifo");
        try
        {
            rig.Start(stdout: fifo, stderr: null, [.. rig.BootArgs($"{lab.Host.Url}/policies/{policy}/snapshots/latest", watchSeconds: 0.5)]);
            var seen = new StringBuilder();
            var deadline = DateTime.UtcNow + Boot;
            while (!seen.ToString().Contains("forwarding on", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                var chunk = Libc.ReadSome(reader);
                if (chunk.Length == 0)
                {
                    await Task.Delay(50);
                }
                seen.Append(chunk);
            }
            Assert.Contains("forwarding on", seen.ToString());
            rig.Attach();
            using var echo = UdpEcho.Start(rig.Uplink, Ports.Echo, UplinkV4);
            using var echo2 = UdpEcho.Start(rig.Uplink, Ports.Bulk, UplinkV4);
            var before = new FlowChecks(() => rig.Describe(seen.ToString()));
            before.Expect($"v1: c1 UDP -> uplink host {Ports.Echo}", Seen.Echoed, Probe.UdpEcho(rig.Client1, UplinkV4, Ports.Echo));
            await before.Verify();

            // From here on nobody reads the firewall's stdout: the pipe is full.
            Libc.Fill(fifo);

            // v2 drops UDP to the bulk port (its swap's log line is the first one that cannot be written), v3 also UDP to the echo port.
            await PublishedPolicy.Send(http, $"/policies/{policy}/clients/{Client1}/rules", new { rule = $"action=drop proto=udp dstports={Ports.Bulk}", position = 0, reason = "v2" });
            await PublishedPolicy.Send(http, $"/policies/{policy}/publish", new { reason = "v2" });
            await Task.Delay(TimeSpan.FromSeconds(3));
            await PublishedPolicy.Send(http, $"/policies/{policy}/clients/{Client1}/rules", new { rule = $"action=drop proto=udp dstports={Ports.Echo}", position = 0, reason = "v3" });
            await PublishedPolicy.Send(http, $"/policies/{policy}/publish", new { reason = "v3" });
            await Task.Delay(TimeSpan.FromSeconds(5));

            var after = new FlowChecks(() => rig.Describe(seen.ToString()));
            after.ExpectNot($"v2 published while stdout is not read: c1 UDP -> uplink host {Ports.Bulk}", Seen.Echoed, Probe.UdpEcho(rig.Client1, UplinkV4, Ports.Bulk));
            after.ExpectNot($"v3 published while stdout is not read: c1 UDP -> uplink host {Ports.Echo}", Seen.Echoed, Probe.UdpEcho(rig.Client1, UplinkV4, Ports.Echo));
            var enforced = await Record(after.Verify());

            rig.Firewall!.Signal("TERM");
            var exited = await ExitWithin(rig.Firewall, TimeSpan.FromSeconds(15));
            var stillForwarding = exited is null && await Probe.UdpEcho(rig.Client1, UplinkV4, Ports.Echo) == Seen.Echoed;
            Assert.True(enforced is null && exited is not null,
                (enforced is null ? "" : enforced.Message + "\n") +
                (exited is not null ? "" : $"SIGTERM did not end the firewall within 15 s (forwarding c1's UDP {Ports.Echo} still: {stillForwarding})\n") +
                rig.Describe(seen.ToString()));
        }
        finally
        {
            Libc.close(reader);
        }
    }

    // stderr on a disk that fills for a moment (a log file on a full /var/log).
    [LinuxRootFact]
    public async Task a_log_line_that_cannot_be_written_for_a_moment_does_not_end_the_snapshot_watch()
    {
        const string policy = "ops-stderr-full";
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, policy,
            new LiveClient(Client1, LivePolicy.Addresses1, ["action=accept proto=udp"]),
            new LiveClient(Client2, LivePolicy.Addresses2, []));
        var served = await http.GetByteArrayAsync($"/policies/{policy}/snapshots/1");
        var failing = false;
        await using var server = new LoopbackHttp(async stream =>
        {
            var body = Volatile.Read(ref served);
            await LoopbackHttp.Write(stream, Volatile.Read(ref failing)
                ? "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                : $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n", failing ? [] : body);
        });
        await using var rig = Rig.Create(lab.Host.PublicKeyPath);
        using var disk = SmallDisk.Mount(rig.Folder);
        var stderr = Path.Combine(disk.Path, "lethe-firewall.err");
        var url = server.Url.Replace("/policies/home/snapshots/latest", "/snapshot", StringComparison.Ordinal);
        rig.Start(stdout: null, stderr: stderr, [.. rig.BootArgs(url, watchSeconds: 0.5)]);
        await rig.Firewall!.WaitForOutput("forwarding on", Boot);
        rig.Attach();
        using var echo = UdpEcho.Start(rig.Uplink, Ports.Echo, UplinkV4);
        var before = new FlowChecks(() => rig.Describe(File.ReadAllText(stderr)));
        before.Expect($"v1: c1 UDP -> uplink host {Ports.Echo}", Seen.Echoed, Probe.UdpEcho(rig.Client1, UplinkV4, Ports.Echo));
        await before.Verify();

        // The disk fills, and meanwhile the control plane answers 503 for two rounds of the watch (which logs each).
        disk.Fill();
        Volatile.Write(ref failing, true);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        disk.Free();
        // Then the control plane is back, with version 2, which drops c1's UDP to the echo port.
        await PublishedPolicy.Send(http, $"/policies/{policy}/clients/{Client1}/rules", new { rule = $"action=drop proto=udp dstports={Ports.Echo}", position = 0, reason = "v2" });
        await PublishedPolicy.Send(http, $"/policies/{policy}/publish", new { reason = "v2" });
        Volatile.Write(ref served, await http.GetByteArrayAsync($"/policies/{policy}/snapshots/2"));
        Volatile.Write(ref failing, false);

        var swapped = await OutputWithin(rig.Firewall, "swapped to policy", TimeSpan.FromSeconds(10));
        var after = new FlowChecks(() => rig.Describe(File.ReadAllText(stderr)));
        after.ExpectNot($"v2, served once the disk had room again: c1 UDP -> uplink host {Ports.Echo}", Seen.Echoed, Probe.UdpEcho(rig.Client1, UplinkV4, Ports.Echo));
        await after.Verify();
        Assert.True(swapped, $"version 2 was never swapped in\n{rig.Describe(File.ReadAllText(stderr))}");
    }

    // stdout on a disk that is full when a device's MTU changes.
    [LinuxRootFact]
    public async Task an_mtu_change_logged_to_a_full_disk_does_not_kill_the_firewall()
    {
        const string policy = "ops-stdout-full";
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, policy,
            new LiveClient(Client1, LivePolicy.Addresses1, ["action=accept proto=udp"]),
            new LiveClient(Client2, LivePolicy.Addresses2, []));
        await using var rig = Rig.Create(lab.Host.PublicKeyPath);
        using var disk = SmallDisk.Mount(rig.Folder);
        var stdout = Path.Combine(disk.Path, "lethe-firewall.out");
        rig.Start(stdout: stdout, stderr: null, [.. rig.BootArgs($"{lab.Host.Url}/policies/{policy}/snapshots/latest", watchSeconds: 5)]);
        var deadline = DateTime.UtcNow + Boot;
        while (!(File.Exists(stdout) && File.ReadAllText(stdout).Contains("forwarding on", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        rig.Attach();
        using var echo = UdpEcho.Start(rig.Uplink, Ports.Echo, UplinkV4);
        var before = new FlowChecks(() => rig.Describe(File.ReadAllText(stdout)));
        before.Expect($"before: c1 UDP -> uplink host {Ports.Echo}", Seen.Echoed, Probe.UdpEcho(rig.Client1, UplinkV4, Ports.Echo));
        await before.Verify();

        disk.Fill();
        rig.Client1.Ip("link", "set", rig.Device1, "mtu", "1400");
        await Task.Delay(TimeSpan.FromSeconds(3));
        disk.Free();

        var exited = await ExitWithin(rig.Firewall!, TimeSpan.Zero);
        var after = new FlowChecks(() => $"exit code {exited?.ToString() ?? "none (running)"}\n" + rig.Describe(File.ReadAllText(stdout)));
        after.Expect($"after the MTU change: c1 UDP -> uplink host {Ports.Echo}", Seen.Echoed, Probe.UdpEcho(rig.Client1, UplinkV4, Ports.Echo));
        await after.Verify();
    }

    // A SIGHUP after boot read the snapshot file, before it forwards (here: while it waits for a dsthost name's first answer).
    [LinuxRootFact]
    public async Task a_sighup_that_comes_after_boot_read_the_snapshot_is_not_lost()
    {
        const string policy = "ops-hup-at-boot";
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, policy,
            new LiveClient(Client1, LivePolicy.Addresses1, ["action=accept dsthost=lab.example proto=tcp dstports=443", "action=accept proto=udp"]),
            new LiveClient(Client2, LivePolicy.Addresses2, []));
        await PublishedPolicy.Send(http, $"/policies/{policy}/clients/{Client1}/rules", new { rule = $"action=drop proto=udp dstports={Ports.Echo}", position = 0, reason = "v2" });
        await PublishedPolicy.Send(http, $"/policies/{policy}/publish", new { reason = "v2" });
        await using var rig = Rig.Create(lab.Host.PublicKeyPath, firewallNamespace: true);
        var file = Path.Combine(rig.Folder, "snapshot.json");
        await File.WriteAllBytesAsync(file, await http.GetByteArrayAsync($"/policies/{policy}/snapshots/1"));
        // A resolver that never answers, in the firewall's own namespace: boot waits up to 5 s for the name's first answer.
        rig.Fw!.Ip("addr", "add", "192.0.2.53/32", "dev", "lo");
        using var silentResolver = rig.Fw.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        silentResolver.Bind(new IPEndPoint(IPAddress.Parse("192.0.2.53"), 53));

        rig.Start(stdout: null, stderr: null, [.. rig.BootArgs(file, watchSeconds: null), "--dns", "192.0.2.53"]);
        await rig.Firewall!.WaitForOutput("booted policy", Boot);
        // The operator puts version 2 into the file and signals, as after any change.
        await File.WriteAllBytesAsync(file, await http.GetByteArrayAsync($"/policies/{policy}/snapshots/2"));
        rig.Firewall.Signal("HUP");
        await rig.Firewall.WaitForOutput("forwarding on", Boot);
        rig.Attach();
        using var echo = UdpEcho.Start(rig.Uplink, Ports.Echo, UplinkV4);

        var swapped = await OutputWithin(rig.Firewall, "swapped to policy", TimeSpan.FromSeconds(10));
        var checks = new FlowChecks(() => rig.Describe(""));
        checks.ExpectNot($"version 2 (in the file, signalled): c1 UDP -> uplink host {Ports.Echo}", Seen.Echoed, Probe.UdpEcho(rig.Client1, UplinkV4, Ports.Echo));
        await checks.Verify();
        Assert.True(swapped, $"version 2 was never swapped in\n{rig.Describe("")}");
    }

    // A restart (crash, reboot, upgrade) with the same command line after a client was removed from the policy.
    [LinuxRootFact]
    public async Task a_restart_after_a_client_was_removed_boots_and_forwards_for_the_other_clients()
    {
        const string policy = "ops-client-removed";
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, policy,
            new LiveClient(Client1, LivePolicy.Addresses1, [$"action=accept proto=udp dstports={Ports.Echo}"]),
            new LiveClient(Client2, LivePolicy.Addresses2, ["action=accept"]));
        await using var net = await LiveTopology.Start(lab.Host, policy, watchSeconds: 0.5);
        var before = new FlowChecks(net.Describe);
        before.Expect($"v1: c1 UDP -> uplink host {Ports.Echo}", Seen.Echoed, Probe.UdpEcho(net.Client1, UplinkV4, Ports.Echo));
        await before.Verify();

        await PublishedPolicy.Send(http, $"/policies/{policy}/clients/{Client2}/remove", new { reason = "c2 retired" });
        await PublishedPolicy.Send(http, $"/policies/{policy}/publish", new { reason = "without c2" });
        await net.Firewall!.WaitForOutput($"swapped to policy {policy} version 2", TimeSpan.FromSeconds(15));
        var running = new FlowChecks(net.Describe);
        running.Expect($"v2, running: c1 UDP -> uplink host {Ports.Echo}", Seen.Echoed, Probe.UdpEcho(net.Client1, UplinkV4, Ports.Echo));
        await running.Verify();

        // The same flags as before (LiveTopology boots with --client-tun c1=... --client-tun c2=...).
        await net.Boot();
        var restarted = new FlowChecks(net.Describe);
        restarted.Expect($"v2, restarted: c1 UDP -> uplink host {Ports.Echo}", Seen.Echoed, Probe.UdpEcho(net.Client1, UplinkV4, Ports.Echo));
        await restarted.Verify();
        Assert.Contains($"warning: --client-tun: the policy has no client '{Client2}'", net.Firewall!.Err);
    }

    private static async Task<Exception?> Record(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
