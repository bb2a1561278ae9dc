using System.Buffers.Binary;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// Reads pcapng files (what Wireshark and dumpcap save by default): Section Header Blocks in either
/// byte order, each starting its own list of interfaces; Interface Description Blocks, each with its
/// link type (the ones <see cref="PcapReader"/> takes apart), snaplen, timestamp resolution
/// (if_tsresol, microseconds when absent) and offset (if_tsoffset); Enhanced and Simple Packet
/// Blocks. Every other block (name resolution, statistics, decryption secrets, custom) is skipped by
/// its length. A Simple Packet Block carries no timestamp: it takes that of the packet before it
/// (0, the Unix epoch, when it comes first), so replay's clock stands still for it. Each length is
/// checked before it is used, and a file that breaks one is refused naming the block (the first is 1);
/// the blocks before the first packet are read when it is opened, so replay refuses a bad one before
/// it makes any output file.
/// Each packet is copied into the caller's buffer; nothing is allocated per packet.
/// </summary>
public sealed class PcapngReader : ICaptureReader
{
    internal const uint SectionHeaderType = 0x0A0D0D0A;
    private const uint InterfaceType = 1;
    private const uint SimplePacketType = 3;
    private const uint EnhancedPacketType = 6;
    private const uint ByteOrderMagic = 0x1A2B3C4D;

    /// <summary>The snaplen an interface without one (0) is taken to have: dumpcap's default, and replay's largest buffer.</summary>
    private const uint Unlimited = 262_144;

    /// <summary>Section headers and interface descriptions are read whole; a real one is a few hundred bytes.</summary>
    private const int MaxDescriptionLength = 1 << 20;

    private readonly Stream _stream;
    // Type and length, a packet block's fixed fields (up to 20 bytes), and the trailing length at 28.
    private readonly byte[] _head = new byte[32];
    private byte[] _scratch = new byte[4096];
    private readonly List<Interface> _interfaces = [];
    private bool _swapped;
    private uint _length;
    private uint _linkType;

    /// <summary>The type of the packet block whose fixed fields are read and data not yet; 0 for none.</summary>
    private uint _pending;
    private uint _included;
    private uint _room;
    private uint _original;
    private Interface _interface;
    private long _lastMicros;
    private uint _largestSnap;

    public PcapngReader(Stream stream) : this(stream, [])
    {
    }

    /// <param name="start">The file's first bytes, already read from <paramref name="stream"/> (to tell the format).</param>
    internal PcapngReader(Stream stream, ReadOnlySpan<byte> start)
    {
        _stream = stream;
        start.CopyTo(_head);
        Block = 1;
        if (!Fill(_head.AsSpan(start.Length, 8 - start.Length)) || Read32(_head) != SectionHeaderType)
        {
            throw new InvalidDataException("not a pcapng file: it does not start with a section header block");
        }
        StartBlock();
        Advance();
    }

    public uint SnapLength => _largestSnap == 0 ? Unlimited : _largestSnap;

    public int OriginalLength { get; private set; }

    /// <summary>The number of the block read last (the first, the section header, is 1).</summary>
    public long Block { get; private set; }

    public bool TryRead(Span<byte> buffer, out long timestampMicroseconds, out int capturedLength, out int ipOffset, out int ipLength)
    {
        timestampMicroseconds = 0;
        capturedLength = ipOffset = ipLength = 0;
        if (_pending == 0 && !Advance())
        {
            return false;
        }
        ReadPacketData(buffer, out timestampMicroseconds, out capturedLength);
        (ipOffset, ipLength) = PcapReader.IpPayload(_linkType, buffer[..capturedLength]);
        return true;
    }

    /// <summary>
    /// Reads blocks up to the next packet block and checks its fixed fields, leaving its data for
    /// <see cref="ReadPacketData"/>. The constructor runs it once, so what comes before the first
    /// packet (the interfaces) is refused before replay opens any output. False at the end of the file.
    /// </summary>
    private bool Advance()
    {
        while (true)
        {
            var read = _stream.ReadAtLeast(_head.AsSpan(0, 8), 8, throwOnEndOfStream: false);
            if (read == 0)
            {
                return false;
            }
            Block++;
            if (read < 8)
            {
                throw Error("the file ends inside it");
            }
            var type = StartBlock();
            if (type is EnhancedPacketType or SimplePacketType)
            {
                ReadPacketFields(type);
                _pending = type;
                return true;
            }
        }
    }

    /// <summary>
    /// With the block's type and length in <see cref="_head"/>: checks the length, reads a section
    /// header or interface description whole and skips any other block but a packet, whose body is
    /// left for <see cref="ReadPacketFields"/>. Returns the block's type.
    /// </summary>
    private uint StartBlock()
    {
        var type = Read32(_head);
        if (type == SectionHeaderType)
        {
            // The byte order is the section's own: its magic says which, before its length can be read.
            Need(_head.AsSpan(8, 4));
            var magic = BinaryPrimitives.ReadUInt32LittleEndian(_head.AsSpan(8));
            _swapped = magic switch
            {
                ByteOrderMagic => false,
                0x4D3C2B1A => true,
                _ => throw Error($"its byte-order magic 0x{magic:X8} is neither 0x1A2B3C4D nor 0x4D3C2B1A"),
            };
        }
        _length = Read32(_head.AsSpan(4));
        if (_length < 12)
        {
            throw Error($"its length {_length} is less than the 12 bytes of a block's type and lengths");
        }
        if (_length % 4 != 0)
        {
            throw Error($"its length {_length} is not a multiple of 4");
        }
        var consumed = type == SectionHeaderType ? 12 : 8;
        if (_stream.CanSeek && _stream.Length - _stream.Position < _length - consumed)
        {
            throw EndsInside();
        }
        switch (type)
        {
            case SectionHeaderType:
                ReadSection();
                break;
            case InterfaceType:
                ReadInterface();
                break;
            case EnhancedPacketType:
                AtLeast(32, "an enhanced packet block");
                break;
            case SimplePacketType:
                AtLeast(16, "a simple packet block");
                break;
            default:
                Skip(_length - 12);
                ReadTrailer();
                break;
        }
        return type;
    }

    private void ReadSection()
    {
        AtLeast(28, "a section header block");
        var body = ReadBody(12);
        var major = Read16(body);
        if (major != 1)
        {
            throw Error($"pcapng version {major}.{Read16(body[2..])} is not one this reader knows (1.x)");
        }
        // A new section describes its interfaces anew: a packet's interface id counts from its own section's first.
        _interfaces.Clear();
    }

    private void ReadInterface()
    {
        AtLeast(20, "an interface description block");
        var body = ReadBody(8);
        var linkType = Read16(body);
        var snapLength = Read32(body[4..]);
        byte resolution = 6;
        long offsetSeconds = 0;
        var at = 8;
        while (at + 4 <= body.Length)
        {
            var code = Read16(body[at..]);
            var length = Read16(body[(at + 2)..]);
            if (code == 0)
            {
                break;
            }
            if (at + 4 + length > body.Length)
            {
                throw Error($"its option {code} ({length} bytes) runs past the block's end");
            }
            if (code == 9 && length >= 1)
            {
                resolution = body[at + 4];
            }
            else if (code == 14 && length >= 8)
            {
                offsetSeconds = (long)(_swapped ? BinaryPrimitives.ReadUInt64BigEndian(body[(at + 4)..]) : BinaryPrimitives.ReadUInt64LittleEndian(body[(at + 4)..]));
            }
            at += 4 + ((length + 3) & ~3);
        }
        _interfaces.Add(Interface.Of(linkType, snapLength, resolution, offsetSeconds));
        _largestSnap = Math.Max(_largestSnap, snapLength == 0 ? Unlimited : snapLength);
    }

    private void ReadPacketFields(uint type)
    {
        var enhanced = type == EnhancedPacketType;
        var fixedLength = enhanced ? 20 : 4;
        var fields = _head.AsSpan(8, fixedLength);
        Need(fields);
        var id = enhanced ? Read32(fields) : 0u;
        if (id >= _interfaces.Count)
        {
            throw Error($"a packet on interface {id}, but its section describes {_interfaces.Count} interface(s)");
        }
        _interface = _interfaces[(int)id];
        if (!PcapReader.IsSupported(_interface.LinkType))
        {
            throw Error($"interface {id} has link type {_interface.LinkType}, which is not supported ({PcapReader.Supported} are)");
        }
        _original = Read32(fields[(fixedLength - 4)..]);
        // A simple packet block says only the length on the wire: it holds that much, or the interface's snaplen.
        var snap = _interface.SnapLength;
        _included = enhanced ? Read32(fields[12..]) : snap != 0 ? Math.Min(_original, snap) : _original;
        _room = _length - 12 - (uint)fixedLength;
        if (_included > _room)
        {
            throw Error($"its captured length {_included} is more than the block holds ({_room})");
        }
    }

    private void ReadPacketData(Span<byte> buffer, out long micros, out int captured)
    {
        if (_included > buffer.Length)
        {
            throw Error($"it holds {_included} bytes, more than any packet (at most {buffer.Length})");
        }
        captured = (int)_included;
        Need(buffer[..captured]);
        Skip(_room - _included);
        // The fixed fields stay in _head[8..28]: the trailer is read into _head[28..32].
        ReadTrailer();
        micros = _pending == EnhancedPacketType
            ? Timestamp(((ulong)Read32(_head.AsSpan(12)) << 32) | Read32(_head.AsSpan(16)))
            : _lastMicros;
        _lastMicros = micros;
        _linkType = _interface.LinkType;
        OriginalLength = (int)Math.Clamp(_original, _included, int.MaxValue);
        _pending = 0;
    }

    /// <summary>
    /// The packet's time in microseconds since 1970. One outside 1970 to 9999 is refused rather than clamped:
    /// replay's wall clock (a DateTimeOffset) ends with 9999, and a clamped time would judge every rule's
    /// expire as of a moment the capture never named.
    /// </summary>
    private long Timestamp(ulong units)
    {
        var exact = _interface.Microseconds(units);
        if (exact < 0 || exact > ICaptureReader.LatestMicroseconds)
        {
            var unit = (_interface.Resolution & 0x80) != 0 ? "2^-" : "10^-";
            throw Error($"its timestamp is {(exact < 0 ? "before 1970" : "after the year 9999")} " +
                $"({units} units of {unit}{_interface.Resolution & 0x7F} s, if_tsoffset {_interface.OffsetSeconds} s)");
        }
        return (long)exact;
    }

    /// <summary>Reads the rest of a section header or interface description (past its first <paramref name="consumed"/> bytes) and its trailer.</summary>
    private ReadOnlySpan<byte> ReadBody(int consumed)
    {
        var length = (int)Math.Min(_length, int.MaxValue) - consumed - 4;
        if (length > MaxDescriptionLength)
        {
            throw Error($"its length {_length} is more than a section header or interface description needs (at most {MaxDescriptionLength})");
        }
        if (_scratch.Length < length)
        {
            _scratch = new byte[length];
        }
        var body = _scratch.AsSpan(0, length);
        Need(body);
        ReadTrailer();
        return body;
    }

    private void AtLeast(uint minimum, string what)
    {
        if (_length < minimum)
        {
            throw Error($"its length {_length} is too short for {what} (at least {minimum} bytes)");
        }
    }

    /// <summary>The trailing copy of the block's length: one that differs means the file is misread from here on.</summary>
    private void ReadTrailer()
    {
        var trailer = _head.AsSpan(28, 4);
        Need(trailer);
        var length = Read32(trailer);
        if (length != _length)
        {
            throw Error($"its trailing length {length} differs from its leading length {_length}");
        }
    }

    private void Skip(long count)
    {
        while (count > 0)
        {
            var chunk = (int)Math.Min(count, _scratch.Length);
            Need(_scratch.AsSpan(0, chunk));
            count -= chunk;
        }
    }

    private void Need(Span<byte> destination)
    {
        if (!Fill(destination))
        {
            throw EndsInside();
        }
    }

    private bool Fill(Span<byte> destination) =>
        destination.IsEmpty || _stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false) == destination.Length;

    private InvalidDataException EndsInside() => Error($"the file ends inside it (its length says {_length} bytes)");

    private InvalidDataException Error(string what) => new($"block {Block}: {what}");

    private ushort Read16(ReadOnlySpan<byte> bytes) =>
        _swapped ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes);

    private uint Read32(ReadOnlySpan<byte> bytes) =>
        _swapped ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);

    /// <summary>
    /// An interface's link type and snaplen, and how its timestamps become microseconds:
    /// (units × <see cref="Multiplier"/> / <see cref="Divisor"/>) >> <see cref="Shift"/>, plus its offset.
    /// </summary>
    /// <param name="Resolution">if_tsresol and <paramref name="OffsetSeconds"/> if_tsoffset as the file gives them, to name in a refusal.</param>
    private readonly record struct Interface(uint LinkType, uint SnapLength, Int128 Multiplier, Int128 Divisor, int Shift, byte Resolution, long OffsetSeconds)
    {
        /// <param name="resolution">if_tsresol: the high bit clear, units of 10^-n seconds; set, 2^-n.</param>
        public static Interface Of(uint linkType, uint snapLength, byte resolution, long offsetSeconds)
        {
            var exponent = resolution & 0x7F;
            if ((resolution & 0x80) != 0)
            {
                return new(linkType, snapLength, 1_000_000, 1, exponent, resolution, offsetSeconds);
            }
            // 10^38 still fits an Int128; a finer unit than that makes every timestamp 0 µs, as it is.
            return exponent <= 6
                ? new(linkType, snapLength, Pow10(6 - exponent), 1, 0, resolution, offsetSeconds)
                : new(linkType, snapLength, 1, exponent - 6 <= 38 ? Pow10(exponent - 6) : Int128.MaxValue, 0, resolution, offsetSeconds);
        }

        /// <summary>Exact: 2^64 units of 10^0 s, plus an offset of 2^63 s, are some 10^25 µs, far inside an Int128.</summary>
        public Int128 Microseconds(ulong units) =>
            ((units * Multiplier / Divisor) >> Shift) + (Int128)OffsetSeconds * 1_000_000;

        private static Int128 Pow10(int exponent)
        {
            Int128 value = 1;
            for (var i = 0; i < exponent; i++)
            {
                value *= 10;
            }
            return value;
        }
    }
}
