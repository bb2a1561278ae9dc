namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// What <see cref="IdlePollGuard"/> knows of one polling thread: its id, and since when it has been
/// polling at idle priority. Written by that thread around each poll, read by the guard.
/// </summary>
public sealed class IdlePollSlot
{
    private long _since;
    private int _rescued;

    /// <summary>The kernel's id of the thread (0 until it has bound itself).</summary>
    public int ThreadId { get; private set; }

    /// <summary>Stopwatch timestamp of the start of the current poll; 0 while not polling.</summary>
    public long Since => Volatile.Read(ref _since);

    /// <summary>From the polling thread, once, before its first poll.</summary>
    public void Bind(int threadId) => ThreadId = threadId;

    /// <summary>From the polling thread before it goes to idle priority, so the guard sees it from its first moment there.</summary>
    /// <remarks>A full fence: the guard parks only after seeing no slot polling (<see cref="IdlePollGuard"/>).</remarks>
    public void Entered(long timestamp) => Interlocked.Exchange(ref _since, timestamp);

    /// <summary>From the polling thread when its poll is over.</summary>
    /// <returns>Whether the guard had to put it back to normal priority during that poll.</returns>
    public bool Left()
    {
        Volatile.Write(ref _since, 0);
        return Interlocked.Exchange(ref _rescued, 0) != 0;
    }

    /// <returns>Whether this is the first rescue of the current poll.</returns>
    internal bool Rescued() => Interlocked.Exchange(ref _rescued, 1) == 0;
}
