using System.Buffers.Binary;

namespace Lethe.PacketPath.Wire;

/// <summary>
/// Cuts an IPv4 packet without DF that is larger than the link it leaves by into fragments that fit
/// (RFC 791 §3.2, RFC 1812 §5.2.6), as Linux's ip_do_fragment does after forwarding: every fragment
/// but the last carries the same multiple of 8 data bytes, all keep the identification, and a packet
/// that is itself a fragment is cut again with offsets from its own and its MF kept on the last piece.
/// One fragment at a time into the caller's buffer, so nothing is allocated.
/// </summary>
/// <remarks>
/// The first fragment carries the header as it is; the later ones the same header with every option
/// whose copied flag is clear overwritten with NOPs, as ip_options_fragment does: the header keeps
/// its length, so every fragment but the last carries the same data. The packet's transport checksum
/// must be complete: no fragment but the first holds the transport header, and the receiver checks
/// the checksum once it has reassembled the datagram.
/// </remarks>
public static class Ipv4Fragmenter
{
    private const int FragmentUnit = 8;
    private const int OptionEnd = 0;
    private const int OptionNop = 1;
    private const byte CopiedFlag = 0x80;
    private const ushort DontFragmentBit = 0x4000;
    private const ushort MoreFragmentsBit = 0x2000;
    private const ushort OffsetMask = 0x1FFF;

    /// <summary>
    /// Writes into <paramref name="into"/> the fragment of <paramref name="packet"/> (one IPv4
    /// packet, its header well formed, its data after the header) whose data starts at byte
    /// <paramref name="from"/> of the packet's data (0, then each <paramref name="next"/> in turn),
    /// holding as much as <paramref name="mtu"/> allows.
    /// </summary>
    /// <param name="next">Where the next fragment's data starts; 0 after the last one (no fragment but the first starts at 0).</param>
    /// <returns>
    /// The fragment's length; 0 when no fragment can be written: the packet is not IPv4 or its header
    /// or options are malformed or cut short, it has DF, <paramref name="mtu"/> leaves no room for
    /// 8 data bytes after the header, <paramref name="from"/> is not a multiple of 8 inside the data,
    /// the fragment would not fit <paramref name="into"/>, or its offset would pass the largest a
    /// header can say.
    /// </returns>
    public static int Write(ReadOnlySpan<byte> packet, int mtu, int from, Span<byte> into, out int next)
    {
        next = from;
        if (!TryReadHeader(packet, out var headerLength, out var totalLength, out var flagsAndOffset))
        {
            return 0;
        }
        var dataLength = totalLength - headerLength;
        var perFragment = (mtu - headerLength) & ~(FragmentUnit - 1);
        if ((flagsAndOffset & DontFragmentBit) != 0 || perFragment < FragmentUnit || from < 0 || from >= dataLength || from % FragmentUnit != 0)
        {
            return 0;
        }
        var data = Math.Min(perFragment, dataLength - from);
        var length = headerLength + data;
        var offset = (flagsAndOffset & OffsetMask) + from / FragmentUnit;
        if (length > into.Length || offset > OffsetMask)
        {
            return 0;
        }
        var fragment = into[..length];
        packet[..headerLength].CopyTo(fragment);
        if (!WalkOptions(packet[Ipv4Packet.MinHeaderLength..headerLength], from > 0 ? fragment[Ipv4Packet.MinHeaderLength..headerLength] : default))
        {
            return 0;
        }
        packet.Slice(headerLength + from, data).CopyTo(fragment[headerLength..]);
        var last = from + data == dataLength;
        var moreFragments = !last || (flagsAndOffset & MoreFragmentsBit) != 0;
        BinaryPrimitives.WriteUInt16BigEndian(fragment[2..], (ushort)length);
        // Reserved bit and DF as they were (DF is clear, or nothing is cut).
        var flags = (ushort)(flagsAndOffset & ~(MoreFragmentsBit | OffsetMask));
        BinaryPrimitives.WriteUInt16BigEndian(fragment[6..], (ushort)(flags | (moreFragments ? MoreFragmentsBit : 0) | offset));
        fragment[10] = 0;
        fragment[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(fragment[10..], Checksum.Compute(fragment[..headerLength]));
        next = last ? 0 : from + data;
        return length;
    }

    private static bool TryReadHeader(ReadOnlySpan<byte> packet, out int headerLength, out int totalLength, out ushort flagsAndOffset)
    {
        headerLength = totalLength = 0;
        flagsAndOffset = 0;
        if (packet.Length < Ipv4Packet.MinHeaderLength || packet[0] >> 4 != 4)
        {
            return false;
        }
        headerLength = (packet[0] & 0x0F) * 4;
        totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        return headerLength >= Ipv4Packet.MinHeaderLength && totalLength > headerLength && totalLength <= packet.Length;
    }

    /// <summary>
    /// Whether <paramref name="options"/> are well formed; in <paramref name="later"/> (a later
    /// fragment's copy of them, or empty) each option not to be copied is overwritten with NOPs.
    /// </summary>
    private static bool WalkOptions(ReadOnlySpan<byte> options, Span<byte> later)
    {
        var i = 0;
        while (i < options.Length)
        {
            var type = options[i];
            if (type == OptionEnd)
            {
                return true;
            }
            if (type == OptionNop)
            {
                i++;
                continue;
            }
            if (i + 1 >= options.Length || options[i + 1] < 2 || i + options[i + 1] > options.Length)
            {
                return false;
            }
            var length = options[i + 1];
            if ((type & CopiedFlag) == 0 && !later.IsEmpty)
            {
                later.Slice(i, length).Fill(OptionNop);
            }
            i += length;
        }
        return true;
    }
}
