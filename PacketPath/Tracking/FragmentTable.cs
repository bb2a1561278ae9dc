namespace Lethe.PacketPath.Tracking;

/// <summary>
/// A value per IP datagram whose first fragment was seen, kept until its later fragments have had
/// time to come. The slots are allocated once: a flood of datagrams costs no memory. A new entry
/// takes a free slot of its set of four, else the oldest slot of the owner (a client) that holds
/// most of the set, its own owner's when tied: a client that floods first fragments then replaces
/// its own datagrams, and another client's keeps at least a fair share of each set. One thread
/// reads and writes it.
/// </summary>
public sealed class FragmentTable<T> where T : struct
{
    private const int Ways = 4;
    private readonly FragmentKey[] _keys;
    private readonly T[] _values;
    private readonly int[] _owners;
    private readonly long[] _expiresAtMs;
    private readonly int _sets;
    private readonly long _lifetimeMs;
    private readonly ulong _seed;

    /// <param name="slots">Rounded up to a multiple of four.</param>
    /// <param name="lifetimeMs">How long after its first fragment a datagram's entry lasts.</param>
    /// <param name="seed">Kept secret, like the connection table's, so that senders cannot aim datagrams at one set.</param>
    public FragmentTable(int slots, long lifetimeMs, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(lifetimeMs, 1);
        _sets = (slots + Ways - 1) / Ways;
        _keys = new FragmentKey[_sets * Ways];
        _values = new T[_sets * Ways];
        _owners = new int[_sets * Ways];
        _expiresAtMs = new long[_sets * Ways];
        _lifetimeMs = lifetimeMs;
        _seed = seed;
        Clear();
    }

    public int Slots => _keys.Length;

    public void Set(in FragmentKey key, in T value, int owner, long nowMs)
    {
        var victim = Find(key, nowMs);
        if (victim < 0)
        {
            victim = Victim(SetOf(key), owner, nowMs);
        }
        _keys[victim] = key;
        _values[victim] = value;
        _owners[victim] = owner;
        _expiresAtMs[victim] = nowMs + _lifetimeMs;
    }

    /// <summary>
    /// A free slot of the set starting at <paramref name="first"/>, else the oldest of those of the
    /// owner holding most of the set (<paramref name="owner"/>'s own when tied).
    /// </summary>
    private int Victim(int first, int owner, long nowMs)
    {
        var victim = -1;
        var victimHeld = 0;
        var victimOwn = false;
        for (var slot = first; slot < first + Ways; slot++)
        {
            if (_expiresAtMs[slot] <= nowMs)
            {
                return slot;
            }
            var held = 0;
            for (var other = first; other < first + Ways; other++)
            {
                held += _owners[other] == _owners[slot] ? 1 : 0;
            }
            var own = _owners[slot] == owner;
            if (victim < 0
                || held > victimHeld
                || (held == victimHeld && own && !victimOwn)
                || (held == victimHeld && own == victimOwn && _expiresAtMs[slot] < _expiresAtMs[victim]))
            {
                victim = slot;
                victimHeld = held;
                victimOwn = own;
            }
        }
        return victim;
    }

    public bool TryGet(in FragmentKey key, long nowMs, out T value)
    {
        var slot = Find(key, nowMs);
        value = slot >= 0 ? _values[slot] : default;
        return slot >= 0;
    }

    /// <summary>Replaces the value of a live entry, keeping its lifetime; false when there is none.</summary>
    public bool Update(in FragmentKey key, in T value, long nowMs)
    {
        var slot = Find(key, nowMs);
        if (slot >= 0)
        {
            _values[slot] = value;
        }
        return slot >= 0;
    }

    public void Remove(in FragmentKey key, long nowMs)
    {
        var slot = Find(key, nowMs);
        if (slot >= 0)
        {
            _expiresAtMs[slot] = long.MinValue;
        }
    }

    public void Clear() => Array.Fill(_expiresAtMs, long.MinValue);

    /// <summary>The slot of <paramref name="key"/>'s live entry, or -1. A key is in at most one slot: <see cref="Set"/> reuses its own.</summary>
    private int Find(in FragmentKey key, long nowMs)
    {
        var first = SetOf(key);
        for (var slot = first; slot < first + Ways; slot++)
        {
            if (_expiresAtMs[slot] > nowMs && _keys[slot] == key)
            {
                return slot;
            }
        }
        return -1;
    }

    private int SetOf(in FragmentKey key) => (int)((uint)(key.Hash(_seed) >> 32) % (uint)_sets) * Ways;
}
