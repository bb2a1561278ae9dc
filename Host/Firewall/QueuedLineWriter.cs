using System.Text;

namespace Lethe.Firewall;

/// <summary>
/// The running firewall's stdout or stderr: lines are queued and written by a thread of their own,
/// so a reader that stops reading (a stalled log pipe, Ctrl-S in a terminal) or a write that fails
/// (a full disk, a hung-up terminal) never holds up or ends a swap, the watch, the MTU watch or
/// shutdown. Past <see cref="MaxQueued"/> waiting lines, lines are dropped and counted, and the count
/// is written once the output takes lines again.
/// </summary>
public sealed class QueuedLineWriter : TextWriter
{
    public const int MaxQueued = 4096;

    private readonly TextWriter _target;
    private readonly Queue<string> _lines = new();
    private readonly StringBuilder _partial = new();
    private readonly object _gate = new(); // an object, not a Lock: the writer thread waits on it with Monitor.Wait
    private readonly Thread _writer;
    private long _dropped;
    private bool _closing;

    public QueuedLineWriter(TextWriter target, string name)
    {
        _target = target;
        _writer = new Thread(Drain) { IsBackground = true, Name = $"lethe-{name}" };
        _writer.Start();
    }

    public override Encoding Encoding => _target.Encoding;

    public override void Write(char value)
    {
        lock (_gate)
        {
            if (value == '\n')
            {
                EnqueueLocked(_partial.ToString());
                _partial.Clear();
            }
            else
            {
                _partial.Append(value);
            }
        }
    }

    public override void Write(string? value)
    {
        if (value is null)
        {
            return;
        }
        lock (_gate)
        {
            var start = 0;
            int newline;
            while ((newline = value.IndexOf('\n', start)) >= 0)
            {
                _partial.Append(value, start, newline - start);
                EnqueueLocked(_partial.ToString());
                _partial.Clear();
                start = newline + 1;
            }
            _partial.Append(value, start, value.Length - start);
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => Write((value ?? "") + "\n");

    public override void WriteLine() => Write("\n");

    // Queued at once, on the caller's thread: the base class would hand each to the thread pool.
    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    public override Task WriteLineAsync()
    {
        WriteLine();
        return Task.CompletedTask;
    }

    public override void Flush()
    {
        // Never waits: a caller must not block on a reader that stopped. Close waits, a bounded time.
    }

    public override Task FlushAsync() => Task.CompletedTask;

    /// <summary>Writes what is queued, for at most <paramref name="timeout"/>: a stopped reader must not keep the process from exiting.</summary>
    public bool Drain(TimeSpan timeout)
    {
        lock (_gate)
        {
            if (_partial.Length > 0)
            {
                EnqueueLocked(_partial.ToString());
                _partial.Clear();
            }
            _closing = true;
            Monitor.PulseAll(_gate);
        }
        return _writer.Join(timeout);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Drain(TimeSpan.FromSeconds(2));
        }
        base.Dispose(disposing);
    }

    private void EnqueueLocked(string line)
    {
        if (_lines.Count >= MaxQueued)
        {
            _dropped++;
            return;
        }
        _lines.Enqueue(line);
        Monitor.Pulse(_gate);
    }

    private void Drain()
    {
        while (true)
        {
            string line;
            long dropped;
            lock (_gate)
            {
                while (_lines.Count == 0 && !_closing)
                {
                    Monitor.Wait(_gate);
                }
                if (_lines.Count == 0)
                {
                    return;
                }
                line = _lines.Dequeue();
                dropped = _dropped;
                _dropped = 0;
            }
            if (dropped > 0)
            {
                Emit($"lethe-firewall: {dropped} line(s) of this log were dropped: it was not read, or could not be written");
            }
            Emit(line);
        }
    }

    private void Emit(string line)
    {
        try
        {
            _target.WriteLine(line);
            _target.Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // ENOSPC, EIO, a closed descriptor: the line is lost and counted, and the firewall goes on.
            lock (_gate)
            {
                _dropped++;
            }
        }
    }
}
