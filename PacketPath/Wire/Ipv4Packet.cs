using System.Buffers.Binary;
using System.Diagnostics;

namespace Lethe.PacketPath.Wire;

/// <summary>
/// A view over an IPv4 packet (RFC 791 §3.1). <see cref="TryParse"/> checks every length once, so no
/// accessor can read past the buffer; <see cref="Payload"/> stops at the total length, not at the end
/// of the buffer. Setters write through to the caller's bytes and leave the checksum to the caller.
/// </summary>
public readonly ref struct Ipv4Packet
{
    public const int MinHeaderLength = 20;
    public const int MaxHeaderLength = 60;

    private static class Field
    {
        public const int VersionAndLength = 0;
        public const int TypeOfService = 1;
        public const int TotalLength = 2;
        public const int Identification = 4;
        public const int FlagsAndOffset = 6;
        public const int TimeToLive = 8;
        public const int Protocol = 9;
        public const int Checksum = 10;
        public const int Source = 12;
        public const int Destination = 16;
        public const int Options = 20;
    }

    private const ushort DontFragmentBit = 0x4000;
    private const ushort MoreFragmentsBit = 0x2000;
    private const ushort OffsetMask = 0x1FFF;

    private readonly Span<byte> _buffer;

    private Ipv4Packet(Span<byte> buffer) => _buffer = buffer;

    /// <summary>Wraps a buffer without checks, for emitting: the caller guarantees its length.</summary>
    public static Ipv4Packet Unchecked(Span<byte> buffer) => new(buffer);

    /// <summary>
    /// Checks that <paramref name="buffer"/> holds a whole IPv4 header (options included and well formed)
    /// and the total length it announces. Extra bytes after the total length are allowed and ignored.
    /// </summary>
    public static bool TryParse(Span<byte> buffer, out Ipv4Packet packet, out DropReason reason)
    {
        packet = default;
        if (buffer.Length < MinHeaderLength)
        {
            reason = DropReason.Truncated;
            return false;
        }
        if (buffer[Field.VersionAndLength] >> 4 != 4)
        {
            reason = DropReason.BadIpVersion;
            return false;
        }
        var headerLength = (buffer[Field.VersionAndLength] & 0x0F) * 4;
        if (headerLength < MinHeaderLength)
        {
            reason = DropReason.BadHeaderLength;
            return false;
        }
        if (buffer.Length < headerLength)
        {
            reason = DropReason.Truncated;
            return false;
        }
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(buffer[Field.TotalLength..]);
        if (totalLength < headerLength)
        {
            reason = DropReason.BadTotalLength;
            return false;
        }
        if (totalLength > buffer.Length)
        {
            reason = DropReason.Truncated;
            return false;
        }
        if (OptionProblem(buffer[Field.Options..headerLength], out var sourceRouted, out var atSourceRoute) >= 0)
        {
            // Named as before the pointer was known: a fault in a source route (a second one, say) is source-routed.
            reason = atSourceRoute ? DropReason.SourceRouted : DropReason.BadHeaderLength;
            return false;
        }
        if (sourceRouted)
        {
            // Linux forwards none (accept_source_route is 0 by default), and RFC 7126 §4.3-4.4 asks
            // the same of firewalls: the route the sender names would take the packet past the
            // destination the rules judged.
            reason = DropReason.SourceRouted;
            return false;
        }
        packet = new Ipv4Packet(buffer);
        reason = DropReason.None;
        return true;
    }

    /// <summary>
    /// Where Linux's parameter problem about <paramref name="packet"/>'s options would point: the offset
    /// in the IP header of the octet ip_options_compile refuses (see <see cref="OptionProblem"/>), or -1
    /// when it takes them all, or the header is not one Linux reads that far (not IPv4, cut short, a total
    /// length that does not fit, a header checksum that does not verify: dropped silently before).
    /// </summary>
    public static int OptionProblemPointer(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < MinHeaderLength || packet[Field.VersionAndLength] >> 4 != 4)
        {
            return -1;
        }
        var headerLength = (packet[Field.VersionAndLength] & 0x0F) * 4;
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[Field.TotalLength..]);
        if (headerLength <= MinHeaderLength || packet.Length < headerLength || totalLength < headerLength || totalLength > packet.Length
            || Checksum.Compute(packet[..headerLength]) != 0)
        {
            return -1;
        }
        return OptionProblem(packet[Field.Options..headerLength], out _, out _);
    }

    private const byte LooseSourceRoute = 131;
    private const byte StrictSourceRoute = 137;

    private const byte RecordRoute = 7;
    private const byte Timestamp = 68;
    private const byte Cipso = 134;
    private const byte RouterAlert = 148;

    /// <summary>Timestamp flags whose slots hold an address before each time (RFC 791: 1 and 3).</summary>
    private const int TimestampWithAddresses = 1;
    private const int TimestampPrespecified = 3;

    /// <summary>
    /// RFC 791 §3.1: End of Option List and No Operation are one byte; every other option has a length
    /// byte of at least 2. The options Linux reads are held to what it holds them to (ip_options_compile),
    /// so that Lethe forwards none that a Linux firewall refuses with a parameter problem: a source
    /// route, record route or timestamp whose pointer is before its first slot (or, for the last two, in
    /// the middle of its last), given twice, or a timestamp full whose overflow count is spent; a router
    /// alert shorter than 4 bytes (Linux takes a longer one, reading its first two value bytes); and
    /// CIPSO, which Linux refuses unless labelled networking is set up for its domain.
    /// </summary>
    /// <returns>The offset in the IP header of the first octet Linux refuses, as its parameter problem points at it; -1 for none.</returns>
    /// <param name="sourceRouted">A loose (131) or strict (137) source route option is among those read.</param>
    /// <param name="atSourceRoute">The octet refused lies in a source route option.</param>
    private static int OptionProblem(ReadOnlySpan<byte> options, out bool sourceRouted, out bool atSourceRoute)
    {
        sourceRouted = atSourceRoute = false;
        var recordRoute = false;
        var timestamp = false;
        var i = 0;
        while (i < options.Length)
        {
            var type = options[i];
            if (type == 0)
            {
                return -1;
            }
            if (type == 1)
            {
                i++;
                continue;
            }
            var at = Field.Options + i;
            if (i + 1 >= options.Length)
            {
                return at;
            }
            var length = options[i + 1];
            if (length < 2 || i + length > options.Length)
            {
                return at;
            }
            var option = options.Slice(i, length);
            var fault = type switch
            {
                LooseSourceRoute or StrictSourceRoute => RouteFault(option, ref sourceRouted),
                RecordRoute => SlotsFault(option, minLength: 3, firstSlot: 4, ref recordRoute),
                Timestamp => TimestampFault(option, ref timestamp),
                RouterAlert => length < 4 ? 1 : -1,
                Cipso => length < 8 ? 1 : 2, // too short, else its domain of interpretation is unknown
                _ => -1,
            };
            if (fault >= 0)
            {
                atSourceRoute = type is LooseSourceRoute or StrictSourceRoute;
                return at + fault;
            }
            i += length;
        }
        return -1;
    }

    // The faults below are offsets within the option, as ip_options_compile points at them: 0 the
    // option itself (given twice), 1 its length, 2 its pointer, 3 a timestamp's flags and overflow.

    private static int RouteFault(ReadOnlySpan<byte> option, ref bool seen)
    {
        if (option.Length < 3)
        {
            return 1;
        }
        if (option[2] < 4)
        {
            return 2;
        }
        if (seen)
        {
            return 0;
        }
        seen = true;
        return -1;
    }

    /// <summary>Record route: slots of 4 bytes from <paramref name="firstSlot"/>; a pointer inside the option must leave room for a whole one.</summary>
    private static int SlotsFault(ReadOnlySpan<byte> option, int minLength, int firstSlot, ref bool seen)
    {
        if (seen)
        {
            return 0;
        }
        if (option.Length < minLength)
        {
            return 1;
        }
        if (option[2] < firstSlot || (option[2] <= option.Length && option[2] + 3 > option.Length))
        {
            return 2;
        }
        seen = true;
        return -1;
    }

    private static int TimestampFault(ReadOnlySpan<byte> option, ref bool seen)
    {
        if (SlotsFault(option, minLength: 4, firstSlot: 5, ref seen) is var fault and >= 0)
        {
            return fault;
        }
        var pointer = option[2];
        var flags = option[3] & 0x0F;
        if (pointer <= option.Length)
        {
            // A slot with an address takes 8 bytes.
            return flags is TimestampWithAddresses or TimestampPrespecified && pointer + 7 > option.Length ? 2 : -1;
        }
        // Full: the overflow count goes up by one, and may not pass 15.
        return flags != TimestampPrespecified && option[3] >> 4 == 15 ? 3 : -1;
    }

    public int Version => _buffer[Field.VersionAndLength] >> 4;

    /// <summary>Header length in bytes (IHL × 4), 20 to 60.</summary>
    public int HeaderLength => (_buffer[Field.VersionAndLength] & 0x0F) * 4;

    public byte TypeOfService
    {
        get => _buffer[Field.TypeOfService];
        set => _buffer[Field.TypeOfService] = value;
    }

    public ushort TotalLength
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.TotalLength..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.TotalLength..], value);
    }

    public ushort Identification
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.Identification..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.Identification..], value);
    }

    public bool DontFragment
    {
        get => (FlagsAndOffset & DontFragmentBit) != 0;
        set => FlagsAndOffset = (ushort)(value ? FlagsAndOffset | DontFragmentBit : FlagsAndOffset & ~DontFragmentBit);
    }

    public bool MoreFragments
    {
        get => (FlagsAndOffset & MoreFragmentsBit) != 0;
        set => FlagsAndOffset = (ushort)(value ? FlagsAndOffset | MoreFragmentsBit : FlagsAndOffset & ~MoreFragmentsBit);
    }

    /// <summary>Fragment offset in bytes (the header field × 8).</summary>
    public int FragmentOffset
    {
        get => (FlagsAndOffset & OffsetMask) * 8;
        set
        {
            Debug.Assert(value % 8 == 0 && value / 8 <= OffsetMask, "IPv4 fragment offsets are multiples of 8 below 65536.");
            FlagsAndOffset = (ushort)((FlagsAndOffset & ~OffsetMask) | ((value / 8) & OffsetMask));
        }
    }

    /// <summary>True for any fragment: more fragments follow or the offset is not zero.</summary>
    public bool IsFragment => (FlagsAndOffset & (MoreFragmentsBit | OffsetMask)) != 0;

    private ushort FlagsAndOffset
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.FlagsAndOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.FlagsAndOffset..], value);
    }

    public byte TimeToLive
    {
        get => _buffer[Field.TimeToLive];
        set => _buffer[Field.TimeToLive] = value;
    }

    public byte Protocol
    {
        get => _buffer[Field.Protocol];
        set => _buffer[Field.Protocol] = value;
    }

    public ushort HeaderChecksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.Checksum..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.Checksum..], value);
    }

    public NetAddress Source
    {
        get => NetAddress.FromV4Bytes(_buffer[Field.Source..]);
        set
        {
            Debug.Assert(!value.IsV6, "An IPv4 header holds IPv4 addresses.");
            BinaryPrimitives.WriteUInt32BigEndian(_buffer[Field.Source..], value.V4Bits);
        }
    }

    public NetAddress Destination
    {
        get => NetAddress.FromV4Bytes(_buffer[Field.Destination..]);
        set
        {
            Debug.Assert(!value.IsV6, "An IPv4 header holds IPv4 addresses.");
            BinaryPrimitives.WriteUInt32BigEndian(_buffer[Field.Destination..], value.V4Bits);
        }
    }

    public Span<byte> Header => _buffer[..HeaderLength];

    public Span<byte> Options => _buffer[Field.Options..HeaderLength];

    /// <summary>The bytes after the header up to the total length; padding after it is not included.</summary>
    public Span<byte> Payload => _buffer[HeaderLength..TotalLength];

    /// <summary>The header checksum the header should carry, computed with the checksum field taken as zero.</summary>
    public ushort ComputeHeaderChecksum() =>
        Checksum.Finish(Checksum.AddSkippingField(0, Header, Field.Checksum));

    public bool VerifyHeaderChecksum() => Checksum.Compute(Header) == 0;

    public void FillHeaderChecksum() => HeaderChecksum = ComputeHeaderChecksum();

    /// <summary>Decrements the TTL and updates the header checksum incrementally (RFC 1624); the caller checks TTL &gt; 1 first.</summary>
    public void DecrementTimeToLive()
    {
        var oldWord = BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.TimeToLive..]);
        _buffer[Field.TimeToLive]--;
        var newWord = BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.TimeToLive..]);
        HeaderChecksum = Checksum.Update(HeaderChecksum, oldWord, newWord);
    }
}
