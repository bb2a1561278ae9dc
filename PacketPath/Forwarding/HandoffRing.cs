using System.Buffers.Binary;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// Packets one worker read for a flow another worker owns, on their way to that worker: a
/// single-producer single-consumer byte ring of length-prefixed records, so it holds hundreds of
/// MTU-sized packets or a dozen 64 KiB super-packets. No lock: the producer publishes a record with
/// a release write of the tail, the consumer frees it with a release write of the head.
/// </summary>
/// <remarks>
/// The TUN driver sends a flow's packets to the queue that last wrote that flow (tun_flow_update),
/// so once the owning worker has sent a packet of a TCP flow each way, its packets reach that
/// worker directly. One-way traffic (a UDP stream) teaches only the device it leaves by, so on the
/// way in it may keep arriving at the other worker and crossing here. Memory is one array taken at
/// start; pages no packet has touched stay out of the resident set. A ring still full after the
/// producing worker's short wait drops the packet (counted), as a full device queue would.
/// </remarks>
public sealed class HandoffRing
{
    private const int RecordHeader = 8;
    private const int WrapMarker = -1;

    private readonly byte[] _buffer;
    private long _head;
    private long _tail;
    private int _peeked;

    /// <param name="size">Bytes, a multiple of 8; each record takes its frame plus 8, rounded up to 8.</param>
    public HandoffRing(int size)
    {
        if (size < 64 || size % 8 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "The ring holds at least 64 bytes, in a multiple of 8.");
        }
        _buffer = GC.AllocateUninitializedArray<byte>(size);
    }

    /// <summary>The largest frame the ring can ever take.</summary>
    public int MaxFrame => _buffer.Length / 2 - RecordHeader;

    /// <summary>Producer only. False, copying nothing, when the ring has no room for the frame now.</summary>
    public bool TryPut(ReadOnlySpan<byte> frame, int device)
    {
        if (frame.Length > MaxFrame)
        {
            return false;
        }
        var need = (RecordHeader + frame.Length + 7) & ~7;
        var tail = _tail;
        var offset = (int)(tail % _buffer.Length);
        var toEnd = _buffer.Length - offset;
        var advance = toEnd < need ? toEnd + need : need;
        if (tail + advance - Volatile.Read(ref _head) > _buffer.Length)
        {
            return false;
        }
        if (toEnd < need)
        {
            // Records are 8-aligned, so at least the marker fits before the end.
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(offset), WrapMarker);
            offset = 0;
        }
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(offset), frame.Length);
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(offset + 4), device);
        frame.CopyTo(_buffer.AsSpan(offset + RecordHeader));
        Volatile.Write(ref _tail, tail + advance);
        return true;
    }

    /// <summary>Consumer only: the oldest frame, to be used (and rewritten) in place, then <see cref="Release"/>d.</summary>
    public bool TryPeek(out Span<byte> frame, out int device)
    {
        var head = _head;
        if (head == Volatile.Read(ref _tail))
        {
            frame = default;
            device = -1;
            return false;
        }
        var offset = (int)(head % _buffer.Length);
        var length = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(offset));
        var skipped = 0;
        if (length == WrapMarker)
        {
            skipped = _buffer.Length - offset;
            offset = 0;
            length = BinaryPrimitives.ReadInt32LittleEndian(_buffer);
        }
        device = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(offset + 4));
        frame = _buffer.AsSpan(offset + RecordHeader, length);
        _peeked = skipped + ((RecordHeader + length + 7) & ~7);
        return true;
    }

    /// <summary>Consumer only: frees the record <see cref="TryPeek"/> returned.</summary>
    public void Release() => Volatile.Write(ref _head, _head + _peeked);
}
