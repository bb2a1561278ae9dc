using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// A worker's later fragments that came before the part of their datagram they continue (their
/// first fragment, or one before them), each kept whole in a buffer of its own until its turn comes
/// or <see cref="HoldMs"/> runs out, as the kernel's reassembly holds them. The buffers are
/// allocated once; none is shared between workers. They are shared out by the device a fragment
/// came by (each client's, and the uplink's): no device's fragments take more than
/// <see cref="PerDevice"/> of them, so one client that sends fragments that never complete cannot
/// take the room another client's reordered datagrams need. One thread uses it.
/// </summary>
public sealed class FragmentHold
{
    /// <summary>Fragments one worker holds at once.</summary>
    public const int Slots = 64;

    /// <summary>Of those, at most this many came by one device.</summary>
    public const int PerDevice = Slots / 2;

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
    private readonly long[] _expiresAtMs = new long[Slots];
    private readonly bool[] _routed = new bool[Slots];
    private readonly PacketInfo[] _infos = new PacketInfo[Slots];
    private readonly FragmentKey[] _keys = new FragmentKey[Slots];

    /// <param name="frameLength">The largest frame (virtio-net header room and packet) a slot takes.</param>
    public FragmentHold(int frameLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frameLength, 1);
        _slotLength = frameLength;
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

    /// <summary>Whether a frame of <paramref name="frameLength"/> bytes that came by <paramref name="device"/> would be held.</summary>
    public bool HasRoom(int device, int frameLength)
    {
        if (frameLength > _slotLength || Count == Slots)
        {
            return false;
        }
        if (Count < PerDevice)
        {
            return true;
        }
        var held = 0;
        for (var slot = 0; slot < Slots; slot++)
        {
            held += _lengths[slot] > 0 && _devices[slot] == device ? 1 : 0;
        }
        return held < PerDevice;
    }

    /// <summary>
    /// Copies <paramref name="frame"/> into a free slot; false when it has no room
    /// (<see cref="HasRoom"/>). <paramref name="routed"/>: its datagram's worker is this one; else
    /// it waits for that worker to be known.
    /// </summary>
    public bool TryHold(ReadOnlySpan<byte> frame, int device, in PacketInfo info, bool routed, long nowMs)
    {
        if (!HasRoom(device, frame.Length))
        {
            return false;
        }
        var slot = Array.IndexOf(_lengths, 0);
        frame.CopyTo(_buffer.AsSpan(slot * _slotLength, _slotLength));
        _lengths[slot] = frame.Length;
        _devices[slot] = device;
        _expiresAtMs[slot] = nowMs + HoldMs;
        _routed[slot] = routed;
        _infos[slot] = info;
        _keys[slot] = FragmentKey.From(info);
        Count++;
        Unrouted += routed ? 0 : 1;
        return true;
    }

    public bool IsHeld(int slot) => _lengths[slot] > 0;

    public bool IsExpired(int slot, long nowMs) => _lengths[slot] > 0 && nowMs >= _expiresAtMs[slot];

    public bool IsRouted(int slot) => _routed[slot];

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
        Unrouted -= _routed[slot] ? 0 : 1;
    }
}
