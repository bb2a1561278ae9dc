using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// A worker's later fragments that came before the part of their datagram they continue (their
/// first fragment, or one before them), each kept whole in a buffer of its own until its turn comes
/// or <see cref="HoldMs"/> runs out, as the kernel's reassembly holds them. The buffers are
/// allocated once; none is shared between workers. They are shared out by the client a fragment
/// belongs to (its share, numbered by that client's device): a fragment takes a free buffer, else
/// the oldest of the share holding most of them, its own share's when tied. So fragments that
/// never complete, one client's or forged ones from the internet, push out their own oldest once
/// they hold more than another share, and to push out a reordered datagram's fragments a sender
/// must send more than all the buffers within the moment that datagram waits for its turn, not
/// once in <see cref="HoldMs"/>. One thread uses it.
/// </summary>
public sealed class FragmentHold
{
    /// <summary>Fragments one worker holds at once.</summary>
    public const int Slots = 64;

    /// <summary>
    /// How long a fragment waits for its turn. Paths reorder by microseconds to milliseconds, and a
    /// missing fragment is never sent again (IP does not retransmit): anything longer only keeps a
    /// buffer from the next datagram.
    /// </summary>
    public const long HoldMs = 2_000;

    private readonly byte[] _buffer;
    private readonly int _slotLength;
    private readonly int[] _lengths = new int[Slots];
    private readonly int[] _devices = new int[Slots];
    private readonly int[] _shares = new int[Slots];
    private readonly int[] _heldBy;
    private readonly long[] _expiresAtMs = new long[Slots];
    private readonly bool[] _routed = new bool[Slots];
    private readonly PacketInfo[] _infos = new PacketInfo[Slots];
    private readonly FragmentKey[] _keys = new FragmentKey[Slots];

    /// <param name="frameLength">The largest frame (virtio-net header room and packet) a slot takes.</param>
    /// <param name="shares">How many shares there are (the worker's devices), numbered from 0.</param>
    public FragmentHold(int frameLength, int shares)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frameLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shares, 1);
        _slotLength = frameLength;
        _heldBy = new int[shares];
        _buffer = GC.AllocateUninitializedArray<byte>(Slots * frameLength, pinned: true);
    }

    /// <summary>Fragments held.</summary>
    public int Count { get; private set; }

    /// <summary>Fragments held whose worker is not known yet (<see cref="IsRouted"/>).</summary>
    public int Unrouted { get; private set; }

    /// <summary>When the first of those held runs out, or <see cref="long.MaxValue"/> with none.</summary>
    public long NextExpiryMs
    {
        get
        {
            var next = long.MaxValue;
            for (var slot = 0; slot < Slots; slot++)
            {
                if (_lengths[slot] > 0 && _expiresAtMs[slot] < next)
                {
                    next = _expiresAtMs[slot];
                }
            }
            return next;
        }
    }

    /// <summary>Whether a frame of <paramref name="frameLength"/> bytes fits a slot: a larger one is never held.</summary>
    public bool Fits(int frameLength) => frameLength <= _slotLength;

    /// <summary>Fragments held for <paramref name="share"/>.</summary>
    public int HeldFor(int share) => _heldBy[share];

    /// <summary>
    /// Copies <paramref name="frame"/> into a free slot, else into the oldest of the share holding
    /// most (<paramref name="displaced"/>: that fragment is gone); false only when it does not
    /// <see cref="Fits"/>. <paramref name="device"/>: the device it came by;
    /// <paramref name="share"/>: the device of the client it belongs to. <paramref name="routed"/>:
    /// its datagram's worker is this one; else it waits for that worker to be known.
    /// <paramref name="expiresAtMs"/>: when its hold runs out, if another worker held it first
    /// (handing it over does not extend it); 0: <see cref="HoldMs"/> from now. <paramref name="displace"/>
    /// false: only into a free slot (false when there is none), for a caller that is using a held slot.
    /// </summary>
    public bool TryHold(ReadOnlySpan<byte> frame, int device, int share, in PacketInfo info, bool routed, long nowMs, out bool displaced,
        long expiresAtMs = 0, bool displace = true)
    {
        displaced = false;
        if (!Fits(frame.Length) || (uint)share >= (uint)_heldBy.Length)
        {
            return false;
        }
        var slot = Array.IndexOf(_lengths, 0);
        if (slot < 0)
        {
            if (!displace)
            {
                return false;
            }
            slot = OldestOf(GivingWay(share));
            Free(slot);
            displaced = true;
        }
        frame.CopyTo(_buffer.AsSpan(slot * _slotLength, _slotLength));
        _lengths[slot] = frame.Length;
        _devices[slot] = device;
        _shares[slot] = share;
        _expiresAtMs[slot] = expiresAtMs != 0 ? expiresAtMs : nowMs + HoldMs;
        _routed[slot] = routed;
        _infos[slot] = info;
        _keys[slot] = FragmentKey.From(info);
        Count++;
        _heldBy[share]++;
        Unrouted += routed ? 0 : 1;
        return true;
    }

    /// <summary>The share holding most, <paramref name="share"/> itself when it holds as many.</summary>
    private int GivingWay(int share)
    {
        var most = share;
        for (var other = 0; other < _heldBy.Length; other++)
        {
            if (_heldBy[other] > _heldBy[most])
            {
                most = other;
            }
        }
        return most;
    }

    private int OldestOf(int share)
    {
        var oldest = -1;
        for (var slot = 0; slot < Slots; slot++)
        {
            if (_lengths[slot] > 0 && _shares[slot] == share && (oldest < 0 || _expiresAtMs[slot] < _expiresAtMs[oldest]))
            {
                oldest = slot;
            }
        }
        return oldest;
    }

    public bool IsHeld(int slot) => _lengths[slot] > 0;

    public bool IsExpired(int slot, long nowMs) => _lengths[slot] > 0 && nowMs >= _expiresAtMs[slot];

    public bool IsRouted(int slot) => _routed[slot];

    public long ExpiresAt(int slot) => _expiresAtMs[slot];

    public int Device(int slot) => _devices[slot];

    /// <summary>The fragment as it was parsed when it came.</summary>
    public ref readonly PacketInfo Info(int slot) => ref _infos[slot];

    public Span<byte> Frame(int slot) => _buffer.AsSpan(slot * _slotLength, _lengths[slot]);

    public bool Holds(int slot, in FragmentKey key) => _lengths[slot] > 0 && _keys[slot] == key;

    /// <summary>Its datagram's worker turned out to be this one.</summary>
    public void Route(int slot)
    {
        if (_lengths[slot] > 0 && !_routed[slot])
        {
            _routed[slot] = true;
            Unrouted--;
        }
    }

    public void Free(int slot)
    {
        if (_lengths[slot] == 0)
        {
            return;
        }
        _lengths[slot] = 0;
        Count--;
        _heldBy[_shares[slot]]--;
        Unrouted -= _routed[slot] ? 0 : 1;
    }
}
