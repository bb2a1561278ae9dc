using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// Packets one worker read for a flow another worker owns, on their way to that worker: a
/// single-producer single-consumer byte ring of length-prefixed records, so it holds hundreds of
/// MTU-sized packets or a dozen 64 KiB super-packets. No lock: the producer publishes a record with
/// a release write of the tail, the consumer frees it with a release write of the head.
/// </summary>
/// <remarks>
/// With <see cref="QueueSteering"/>'s program on its devices, the kernel queues TCP, UDP and ICMP
/// query packets for their owner, so what crosses here is what the program does not read (fragments,
/// ICMP errors, IPv6 extension headers). Without it, the TUN driver sends a flow's packets to the
/// queue that last wrote that flow (tun_flow_update): once the owning worker has sent a packet of a
/// TCP flow each way, its packets reach that worker directly, but one-way traffic (a UDP stream)
/// teaches only the device it leaves by, so on the way in it may keep crossing here. Memory is one native block
/// taken at start, outside the GC heap: at 64 workers the rings take 1 GiB of address space, which
/// a container's memory limit must not count (the GC's hard limit would), and pages no packet has
/// touched stay out of the resident set. A ring still full after the
/// producing worker's short wait drops the packet (counted), as a full device queue would.
/// </remarks>
public sealed unsafe class HandoffRing : IDisposable
{
    private const int RecordHeader = 16;
    private const int WrapMarker = -1;

    private readonly byte* _memory;
    private readonly int _length;
    private int _freed;
    private long _head;
    private long _tail;
    private int _peeked;

    /// <param name="size">Bytes, a multiple of 8; each record takes its frame plus 16, rounded up to 8.</param>
    public HandoffRing(int size)
    {
        if (size < 64 || size % 8 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "The ring holds at least 64 bytes, in a multiple of 8.");
        }
        _memory = (byte*)NativeMemory.Alloc((nuint)size);
        _length = size;
    }

    ~HandoffRing() => Free();

    private Span<byte> Buffer => new(_memory, _length);

    /// <summary>The largest frame the ring can ever take.</summary>
    public int MaxFrame => _length / 2 - RecordHeader;

    /// <summary>Producer only. False, copying nothing, when the ring has no room for the frame now.</summary>
    /// <param name="expiresAtMs">
    /// For a held fragment handed to its datagram's worker: when its hold runs out, which the
    /// hand-off does not extend; 0 for any other frame.
    /// </param>
    public bool TryPut(ReadOnlySpan<byte> frame, int device, long expiresAtMs = 0)
    {
        if (frame.Length > MaxFrame)
        {
            return false;
        }
        var need = (RecordHeader + frame.Length + 7) & ~7;
        var tail = _tail;
        var offset = (int)(tail % _length);
        var toEnd = _length - offset;
        var advance = toEnd < need ? toEnd + need : need;
        if (tail + advance - Volatile.Read(ref _head) > _length)
        {
            return false;
        }
        if (toEnd < need)
        {
            // Records are 8-aligned, so at least the marker fits before the end.
            BinaryPrimitives.WriteInt32LittleEndian(Buffer[offset..], WrapMarker);
            offset = 0;
        }
        BinaryPrimitives.WriteInt32LittleEndian(Buffer[offset..], frame.Length);
        BinaryPrimitives.WriteInt32LittleEndian(Buffer[(offset + 4)..], device);
        BinaryPrimitives.WriteInt64LittleEndian(Buffer[(offset + 8)..], expiresAtMs);
        frame.CopyTo(Buffer[(offset + RecordHeader)..]);
        Volatile.Write(ref _tail, tail + advance);
        return true;
    }

    /// <summary>Consumer only: the oldest frame, to be used (and rewritten) in place, then <see cref="Release"/>d.</summary>
    public bool TryPeek(out Span<byte> frame, out int device) => TryPeek(out frame, out device, out _);

    /// <summary>As <see cref="TryPeek(out Span{byte}, out int)"/>, with what <see cref="TryPut"/> was given as <paramref name="expiresAtMs"/>.</summary>
    public bool TryPeek(out Span<byte> frame, out int device, out long expiresAtMs)
    {
        var head = _head;
        if (head == Volatile.Read(ref _tail))
        {
            frame = default;
            device = -1;
            expiresAtMs = 0;
            return false;
        }
        var offset = (int)(head % _length);
        var length = BinaryPrimitives.ReadInt32LittleEndian(Buffer[offset..]);
        var skipped = 0;
        if (length == WrapMarker)
        {
            skipped = _length - offset;
            offset = 0;
            length = BinaryPrimitives.ReadInt32LittleEndian(Buffer);
        }
        device = BinaryPrimitives.ReadInt32LittleEndian(Buffer[(offset + 4)..]);
        expiresAtMs = BinaryPrimitives.ReadInt64LittleEndian(Buffer[(offset + 8)..]);
        frame = Buffer.Slice(offset + RecordHeader, length);
        _peeked = skipped + ((RecordHeader + length + 7) & ~7);
        return true;
    }

    /// <summary>Consumer only: frees the record <see cref="TryPeek"/> returned.</summary>
    public void Release() => Volatile.Write(ref _head, _head + _peeked);

    /// <summary>Frees the memory; only once no worker uses the ring any more (their threads have ended).</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (Interlocked.Exchange(ref _freed, 1) == 0)
        {
            NativeMemory.Free(_memory);
        }
    }
}
