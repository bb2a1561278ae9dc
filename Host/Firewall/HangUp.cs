using System.Runtime.InteropServices;

namespace Lethe.Firewall;

/// <summary>
/// SIGHUP for boot: caught from the start, so that it never ends the process; one that comes
/// before <see cref="Handle"/> gives the reload is kept, and the reload runs once it is given (boot
/// may have read the file before it changed). Then one reload runs at a time. A signal that comes
/// during one makes it run once more when it ends (the running one may have read the file before it
/// changed, and may wait seconds for new names' first answers); more signals meanwhile add nothing.
/// </summary>
public sealed class HangUp : IDisposable
{
    private const int Idle = 0;
    private const int Running = 1;
    private const int RunningThenAgain = 2;

    private readonly PosixSignalRegistration _registration;
    private readonly TextWriter _error;
    private readonly Lock _handing = new();
    private Func<Task>? _reload;
    private bool _pending;
    private int _state;

    public HangUp(TextWriter error)
    {
        _error = error;
        IgnoredAtStart = IsIgnored(File.Exists(StatusPath) ? File.ReadAllText(StatusPath) : "");
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);
    }

    private const string StatusPath = "/proc/self/status";

    /// <summary>
    /// SIGHUP was ignored when the process started (nohup, or a shell's `trap '' HUP`): the runtime
    /// leaves a signal ignored at start ignored, so no SIGHUP ever reaches the handler, and a reload
    /// asked for by signal silently does nothing. Boot warns of it.
    /// </summary>
    public bool IgnoredAtStart { get; }

    /// <summary>The SigIgn mask of /proc/PID/status (hexadecimal, signal N at bit N-1) holds SIGHUP, signal 1.</summary>
    public static bool IsIgnored(string status)
    {
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith("SigIgn:", StringComparison.Ordinal)
                && ulong.TryParse(line.AsSpan(7).Trim(), System.Globalization.NumberStyles.HexNumber, null, out var mask))
            {
                return (mask & 1) != 0;
            }
        }
        return false;
    }

    public void Handle(Func<Task> reload)
    {
        bool pending;
        lock (_handing)
        {
            _reload = reload;
            pending = _pending;
        }
        if (pending)
        {
            Request(reload);
        }
    }

    public void Dispose() => _registration.Dispose();

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Func<Task>? reload;
        lock (_handing)
        {
            reload = _reload;
            _pending |= reload is null;
        }
        if (reload is null)
        {
            _error.WriteLine("reload: not forwarding yet; the snapshot is read again once forwarding starts");
            return;
        }
        Request(reload);
    }

    /// <summary>What a SIGHUP does once reloads are handled; apart from the signal, so a test can drive it.</summary>
    public void Request(Func<Task> reload)
    {
        while (true)
        {
            switch (Interlocked.CompareExchange(ref _state, Running, Idle))
            {
                case Idle:
                    _ = Task.Run(() => RunReloads(reload));
                    return;
                case Running when Interlocked.CompareExchange(ref _state, RunningThenAgain, Running) == Running:
                    _error.WriteLine("reload: one is under way; the snapshot is read again when it ends");
                    return;
                case RunningThenAgain:
                    _error.WriteLine("reload: one is under way and another follows it already");
                    return;
            }
        }
    }

    private async Task RunReloads(Func<Task> reload)
    {
        while (true)
        {
            try
            {
                await reload();
            }
            catch (Exception e)
            {
                // Logged, not left to end the loop with the state stuck at running: later signals must still reload.
                await _error.WriteLineAsync($"reload: failed: {e.Message}");
            }
            // Nothing came meanwhile: done. Otherwise once more, for the signal that came during it.
            if (Interlocked.CompareExchange(ref _state, Idle, Running) == Running)
            {
                return;
            }
            Volatile.Write(ref _state, Running);
        }
    }
}
