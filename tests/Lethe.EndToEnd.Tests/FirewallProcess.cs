using System.Diagnostics;
using System.Text;

namespace Lethe.EndToEnd.Tests;

/// <summary>Runs `lethe-firewall` as a separate process, optionally with every mount read-only.</summary>
public sealed class FirewallProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();

    private FirewallProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Out { get { lock (_out) return _out.ToString(); } }

    public string Err { get { lock (_err) return _err.ToString(); } }

    public static string Binary
    {
        get
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "lethe-firewall.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("lethe-firewall.dll is not beside the tests", dll);
        }
    }

    /// <param name="readOnly">Runs it in a private mount namespace where every mount is read-only.</param>
    public static FirewallProcess Start(bool readOnly, params string[] args) =>
        Launch(readOnly ? ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", ReadOnlyScript, "ro"] : [], args, home: null);

    /// <summary>
    /// Runs it as user <paramref name="uid"/> with no capabilities, not even inheritable or in the
    /// bounding set, and no way to gain any: what an operator does after making its devices for
    /// that user. In a private mount namespace <paramref name="tunNode"/> (a node the test made
    /// that the user may open) stands in for /dev/net/tun, as a container's device rule would.
    /// </summary>
    /// <remarks>
    /// It runs a copy of the firewall in <paramref name="home"/>: the user may not be able to reach the
    /// build output (a clone under /root, mode 0700), as it could not reach an operator's either.
    /// </remarks>
    public static FirewallProcess StartAs(int uid, string tunNode, string home, params string[] args) =>
        StartAs(uid, tunNode, home, [], args);

    /// <summary>
    /// The same, keeping <paramref name="capabilities"/> (say ["net_admin", "sys_nice"]) as ambient
    /// capabilities: the process runs as <paramref name="uid"/> holding those and no other, as
    /// setpriv or systemd's AmbientCapabilities= give them to a service.
    /// </summary>
    public static FirewallProcess StartAs(int uid, string tunNode, string home, string[] capabilities, params string[] args)
    {
        var caps = string.Concat(capabilities.Select(c => ",+" + c));
        return Launch(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", AsUserScript, tunNode,
            $"--reuid={uid}", $"--regid={uid}", "--clear-groups", $"--inh-caps=-all{caps}", $"--ambient-caps=-all{caps}", $"--bounding-set=-all{caps}",
            "--no-new-privs"], args, home, CopyInto(home));
    }

    /// <summary>The files lethe-firewall.dll loads (its deps.json), copied into <paramref name="folder"/>; returns the copy's path.</summary>
    private static string CopyInto(string folder)
    {
        string[] files = ["lethe-firewall.dll", "lethe-firewall.deps.json", "lethe-firewall.runtimeconfig.json",
            "Lethe.PacketPath.dll", "Lethe.Domain.dll", "System.CommandLine.dll"];
        var from = Path.GetDirectoryName(Binary)!;
        foreach (var file in files)
        {
            File.Copy(Path.Combine(from, file), Path.Combine(folder, file), overwrite: true);
        }
        return Path.Combine(folder, files[0]);
    }

    /// <summary>Runs it as root with <paramref name="capability"/> (say "net_admin") and no other, and no way to gain any: a container with all capabilities dropped but one.</summary>
    public static FirewallProcess StartWithOnly(string capability, params string[] args) =>
        Launch(["setpriv", "--inh-caps=-all", $"--bounding-set=-all,+{capability}", "--no-new-privs"], args, home: null);

    /// <summary>
    /// Runs it with SIGINT at its default, as a terminal's foreground job has it: the test runner's
    /// processes inherit it ignored from a shell's background job, and the runtime leaves an ignored SIGINT ignored.
    /// </summary>
    public static FirewallProcess StartAsForegroundJob(params string[] args) => Launch(["env", "--default-signal=INT"], args, home: null);

    /// <summary>Runs it with SIGHUP ignored, as `nohup` starts a program, or at its default (whatever the test runner inherited).</summary>
    public static FirewallProcess StartWithHangUp(bool ignored, params string[] args) =>
        Launch(["env", ignored ? "--ignore-signal=HUP" : "--default-signal=HUP"], args, home: null);

    /// <summary>Runs it with the environment variable <paramref name="variable"/> set to <paramref name="value"/>.</summary>
    public static FirewallProcess StartWithVariable(string variable, string value, params string[] args) =>
        Launch(["env", $"{variable}={value}"], args, home: null);

    /// <summary>Runs it with its standard output sent to <paramref name="file"/>, byte for byte (a capture, say).</summary>
    public static FirewallProcess StartWithStdoutTo(string file, params string[] args) =>
        Launch(["/bin/sh", "-c", "exec \"$@\" > \"$0\"", file], args, home: null);

    /// <summary>
    /// Runs it with its stdout and stderr, where given, appended to files (or fifos) of the test's, as
    /// `>>` or systemd's StandardOutput=append open a log; in network namespace <paramref name="namespaceName"/> when given.
    /// </summary>
    public static FirewallProcess StartWithLogsTo(string? stdout, string? stderr, string? namespaceName, params string[] args)
    {
        var script = "exec \"$@\"" + (stdout is null ? "" : $" >>'{stdout}'") + (stderr is null ? "" : $" 2>>'{stderr}'");
        string[] inNamespace = namespaceName is null ? [] : ["ip", "netns", "exec", namespaceName];
        return Launch([.. inNamespace, "/bin/sh", "-c", script, "sh"], args, home: null);
    }

    /// <summary>
    /// Runs it in network and mount namespaces of its own where /dev/net/tun is /dev/null: any TUN device it tried to
    /// make or attach to fails as "cannot attach to the devices", so a refusal that should come first shows whether it did.
    /// </summary>
    public static FirewallProcess StartWithoutDevices(params string[] args) =>
        Launch(["unshare", "--net", "--mount", "--propagation", "private", "/bin/sh", "-c", NoTunScript, "sh"], args, home: null);

    /// <summary>Runs it kept to <paramref name="cpuList"/> (taskset -c), as a cpuset would keep it.</summary>
    public static FirewallProcess StartOnCpus(string cpuList, params string[] args) => Launch(["taskset", "-c", cpuList], args, home: null);

    private static FirewallProcess Launch(string[] launcher, string[] args, string? home, string? binary = null)
    {
        var start = new ProcessStartInfo
        {
            FileName = launcher.Length > 0 ? launcher[0] : "dotnet",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in launcher.Skip(1))
        {
            start.ArgumentList.Add(a);
        }
        if (launcher.Length > 0)
        {
            start.ArgumentList.Add("dotnet");
        }
        start.ArgumentList.Add(binary ?? Binary);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        // The runtime's diagnostic IPC socket is the one file a .NET process makes on its own.
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
        if (home is not null)
        {
            start.Environment["HOME"] = home;
        }
        return new FirewallProcess(Process.Start(start)!);
    }

    /// <summary>The firewall's own process id (the launchers exec it, so it keeps theirs).</summary>
    public int Id => _process.Id;

    public static async Task<(int Code, string Out, string Err)> Run(bool readOnly, params string[] args)
    {
        await using var process = Start(readOnly, args);
        var code = await process.Exit(TimeSpan.FromSeconds(60));
        return (code, process.Out, process.Err);
    }

    /// <summary>
    /// Runs <paramref name="command"/> with a --snapshot and a --trust that do not exist, and checks that a flag was refused
    /// (exit 2, <paramref name="expected"/> on stderr, nothing on stdout): had it read the key or the snapshot first, it
    /// would have answered "cannot read", exit 1.
    /// </summary>
    public static async Task AssertRefusedBeforeTheSnapshot(string folder, string command, string expected, params string[] args)
    {
        var (code, output, error) = await Run(false,
            [command, "--snapshot", Path.Combine(folder, "missing.json"), "--trust", Path.Combine(folder, "missing.pem"), .. args]);

        Assert.True(code == 2, $"exit {code}; stderr: {error}");
        Assert.Contains(expected, error);
        Assert.DoesNotContain("cannot read", error);
        Assert.Equal("", output);
    }

    public async Task<int> Exit(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public Task WaitForOutput(string text, TimeSpan timeout) => WaitFor(() => Out, "stdout", text, timeout);

    public Task WaitForError(string text, TimeSpan timeout) => WaitFor(() => Err, "stderr", text, timeout);

    private async Task WaitFor(Func<string> stream, string name, string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!stream().Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline || _process.HasExited)
            {
                throw new TimeoutException($"lethe-firewall did not print '{text}' on {name}. stdout:\n{Out}\nstderr:\n{Err}");
            }
            await Task.Delay(50);
        }
    }

    public void Terminate() => Signal("TERM");

    public void Signal(string name)
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", [$"-{name}", _process.Id.ToString()])!.WaitForExit();
        }
    }

    /// <summary>SIGKILL, and wait until it is gone.</summary>
    public async Task Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    // Remounts every mount of the new namespace read-only (the host's mounts are untouched), then runs the command.
    private const string ReadOnlyScript =
        "awk '{print $2}' /proc/self/mounts | sort -u | while read -r m; do case \"$m\" in /proc*|/sys*|/dev) continue;; esac; " +
        "mount -o remount,bind,ro \"$m\" 2>/dev/null || true; done; " +
        "if touch /tmp/.lethe-rw-probe 2>/dev/null; then echo 'root is still writable' >&2; exit 97; fi; exec \"$@\"";

    // /dev/null in place of the TUN clone device, in the new mount namespace only.
    private const string NoTunScript = "mount --bind /dev/null /dev/net/tun && exec \"$@\"";

    // $0 is the stand-in for /dev/net/tun; the rest are setpriv's options, then the command.
    private const string AsUserScript = "mount --bind \"$0\" /dev/net/tun && exec setpriv \"$@\"";
}
