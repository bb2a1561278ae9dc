namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// What <see cref="IdlePollGuard"/> knows of one polling thread: its id, and since when it has been
/// polling at idle priority. Written by that thread around each poll, read by the guard.
/// </summary>
public sealed class IdlePollSlot
{
    private long _since;
    private long _rescuedPoll;

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
        var since = Volatile.Read(ref _since);
        Volatile.Write(ref _since, 0);
        return Interlocked.Exchange(ref _rescuedPoll, 0) == since;
    }

    /// <param name="since">The start of the poll the guard judged overdue: a rescue that lands after that
    /// poll ended must not be charged to the next one, which would then stop polling for nothing.</param>
    /// <returns>Whether this is the first rescue of that poll.</returns>
    internal bool Rescued(long since) => Interlocked.Exchange(ref _rescuedPoll, since) != since;
}
