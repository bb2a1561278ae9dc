using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Tests.Devices;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// boot's stdout and stderr are written apart: a log that nobody reads holds up the other one as
/// little as it holds up a swap (no device needed: a reload's lines are enough to see it).
/// </summary>
public sealed class StalledLogTests
{
    [Fact]
    public async Task a_stalled_stderr_reader_does_not_hold_back_the_swap_lines_boot_writes_to_stdout()
    {
        using var sealedByHand = new HandSealed("lethe-stderr-");
        var work = new SnapshotClient("work", ["10.137.0.5"], [new SnapshotRule("r-1", "action=accept")]);
        var live = Path.Combine(sealedByHand.Folder, "live.json");
        File.Copy(sealedByHand.Write("v1.json", 1, work), live);
        var v2 = sealedByHand.Write("v2.json", 2, work, new SnapshotClient("lab", ["10.137.0.6"], []));
        var stdout = Path.Combine(sealedByHand.Folder, "stdout.log");
        var fifo = Path.Combine(sealedByHand.Folder, "stderr.fifo");
        Command.Run("mkfifo", fifo);
        var reader = Libc.open(fifo, Libc.ORdOnly | Libc.ONonBlock);
        Assert.True(reader >= 0, "cannot open the fifo");
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        try
        {
            await using var firewall = FirewallProcess.StartWithLogsTo(stdout, fifo, null,
                "boot", "--snapshot", live, "--trust", sealedByHand.PublicKey, "--metrics", $"127.0.0.1:{port}");
            Assert.True(await Until(() => File.Exists(stdout) && File.ReadAllText(stdout).Contains("verifying and watching only"), TimeSpan.FromSeconds(30)),
                "boot did not start");

            // From here on nobody reads stderr: the pipe is full, and a refused reload's line waits in write(2).
            Libc.Fill(fifo);
            await File.WriteAllTextAsync(live, "not a snapshot");
            firewall.Signal("HUP");
            await Task.Delay(TimeSpan.FromSeconds(1));
            File.Copy(v2, live, overwrite: true);
            firewall.Signal("HUP");

            var logged = await Until(() => File.ReadAllText(stdout).Contains("swapped to policy home version 2"), TimeSpan.FromSeconds(10));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            Assert.Contains("lethe_snapshot_version 2\n", await http.GetStringAsync($"http://127.0.0.1:{port}/metrics"));
            Assert.True(logged, $"version 2 runs (the metrics say so), but stdout never said so while stderr was stalled; stdout:\n{File.ReadAllText(stdout)}");
        }
        finally
        {
            Libc.close(reader);
        }
    }

    // `boot > log 2>&1`, as scripts/demo-live and systemd's StandardOutput=file: write it: one file, one offset.
    [Fact]
    public async Task stdout_and_stderr_redirected_to_one_file_keep_every_line()
    {
        using var sealedByHand = new HandSealed("lethe-sharedlog-");
        var snapshot = sealedByHand.Write("v1.json", 1,
            new SnapshotClient("work", ["10.137.0.5"], [new SnapshotRule("r-1", "action=accept specialtarget=dns")]));
        var log = Path.Combine(sealedByHand.Folder, "boot.log");
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var argument in new[] { "-c", "exec dotnet \"$@\" >\"$LOG\" 2>&1", "sh", FirewallProcess.Binary, "boot", "--snapshot", snapshot, "--trust", sealedByHand.PublicKey })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["LOG"] = log;
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
        using var process = Process.Start(start)!;
        try
        {
            await Until(() => File.Exists(log) && File.ReadAllText(log).Contains("watching only"), TimeSpan.FromSeconds(30));
            await Task.Delay(500);
        }
        finally
        {
            Command.TryRun("kill", "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await process.WaitForExitAsync();
        }

        var lines = await File.ReadAllLinesAsync(log);
        Assert.Contains(lines, l => l.StartsWith("booted policy home version 1 ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("warning: 1 rule(s) use specialtarget=dns", StringComparison.Ordinal));
        Assert.Contains("no devices (--client-tun, --uplink-tun): verifying and watching only", lines);
        Assert.Contains("stopped; all state was in memory and is gone", lines);
    }

    private static async Task<bool> Until(Func<bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(50);
        }
        return true;
    }
}
