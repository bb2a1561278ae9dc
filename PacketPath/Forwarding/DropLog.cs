using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// The dropped packets of one worker, waiting to be written to the log: a ring with one writer (the
/// worker) and one reader (the log's printer), so the packet path takes no lock and allocates
/// nothing to note a drop. When the reader falls behind, drops are counted instead (<see cref="Missed"/>):
/// a flood must cost the worker no more than a counter.
/// </summary>
public sealed class DropLog
{
    /// <summary>The most a ring holds: enough for the most lines a second the log may print.</summary>
    public const int MaxCapacity = 1_024;

    private readonly DropRecord[] _slots;
    private readonly int _mask;
    private long _written;
    private long _taken;
    private long _missed;

    /// <param name="capacity">Rounded up to a power of two, at least 16 and at most <see cref="MaxCapacity"/>.</param>
    public DropLog(int capacity)
    {
        var size = (int)Math.Min(MaxCapacity, Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, capacity))));
        _slots = new DropRecord[size];
        _mask = size - 1;
    }

    public int Capacity => _slots.Length;

    /// <summary>Drops not kept because the ring was full, since the start.</summary>
    public long Missed => Volatile.Read(ref _missed);

    /// <summary>The worker's side: notes a drop, or counts it when the ring is full.</summary>
    public void Add(long atMs, in PacketInfo packet, bool parsed, int length, in PacketOutcome outcome, int ingress, ActivePolicy policy)
    {
        var written = _written;
        if (written - Volatile.Read(ref _taken) >= _slots.Length)
        {
            Volatile.Write(ref _missed, _missed + 1);
            return;
        }
        ref var slot = ref _slots[written & _mask];
        slot.AtMs = atMs;
        slot.Packet = packet;
        slot.Parsed = parsed;
        slot.Length = length;
        slot.Reason = outcome.Reason;
        slot.Ingress = ingress;
        slot.Client = outcome.Client;
        slot.RuleIndex = outcome.RuleIndex;
        slot.Policy = policy;
        // Published after the slot is whole: the reader never sees a half-written record.
        Volatile.Write(ref _written, written + 1);
    }

    /// <summary>The reader's side: the oldest drop not yet taken, if any.</summary>
    public bool TryTake(out DropRecord record)
    {
        var taken = _taken;
        if (taken == Volatile.Read(ref _written))
        {
            record = default;
            return false;
        }
        ref var slot = ref _slots[taken & _mask];
        record = slot;
        // A policy swapped out since must not stay alive in a slot no drop has written over yet.
        slot.Policy = null!;
        Volatile.Write(ref _taken, taken + 1);
        return true;
    }
}
