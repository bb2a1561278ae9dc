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
    public static FirewallProcess Start(bool readOnly, params string[] args)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (readOnly)
        {
            start.FileName = "unshare";
            foreach (var a in new[] { "--mount", "--propagation", "private", "/bin/sh", "-c", ReadOnlyScript, "ro" })
            {
                start.ArgumentList.Add(a);
            }
        }
        else
        {
            start.FileName = "dotnet";
        }
        if (readOnly)
        {
            start.ArgumentList.Add("dotnet");
        }
        start.ArgumentList.Add(Binary);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        // The runtime's diagnostic IPC socket is the one file a .NET process makes on its own.
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
        return new FirewallProcess(Process.Start(start)!);
    }

    public static async Task<(int Code, string Out, string Err)> Run(bool readOnly, params string[] args)
    {
        await using var process = Start(readOnly, args);
        var code = await process.Exit(TimeSpan.FromSeconds(60));
        return (code, process.Out, process.Err);
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
}
