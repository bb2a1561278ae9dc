using System.Runtime.InteropServices;

namespace Lethe.Firewall;

/// <summary>
/// SIGHUP for boot: caught from the start, so that it never ends the process; ignored until
/// <see cref="Handle"/> gives the reload, and then one reload runs at a time (a signal that comes
/// during one is reported and dropped, since the running reload reads the newest snapshot anyway).
/// </summary>
public sealed class HangUp : IDisposable
{
    private readonly PosixSignalRegistration _registration;
    private readonly TextWriter _error;
    private Func<Task>? _reload;
    private int _running;

    public HangUp(TextWriter error)
    {
        _error = error;
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);
    }

    public void Handle(Func<Task> reload) => Volatile.Write(ref _reload, reload);

    public void Dispose() => _registration.Dispose();

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Volatile.Read(ref _reload) is not { } reload)
        {
            _error.WriteLine("reload: not forwarding yet, SIGHUP ignored");
            return;
        }
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            _error.WriteLine("reload: one is under way, SIGHUP ignored");
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await reload();
            }
            finally
            {
                Volatile.Write(ref _running, 0);
            }
        });
    }
}
