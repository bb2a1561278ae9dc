using System.Runtime.CompilerServices;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tracking;

/// <summary>
/// What the connection tracker needs from one TCP segment: its flags, where its sequence space
/// starts and ends, what it acknowledges, the window it advertises and, on a SYN, the window-scale
/// shift it offers (-1: none). default: a packet that is not TCP.
/// </summary>
public readonly record struct TcpSample(byte Flags, uint Sequence, uint Acknowledgement, ushort Window, int PayloadLength, sbyte WindowScale = -1)
{
    private const byte OptionEnd = 0;
    private const byte OptionNoOperation = 1;
    private const byte OptionWindowScale = 3;

    /// <summary>RFC 7323 §2.3: a larger shift is taken as 14.</summary>
    private const int MaxWindowScale = 14;

    /// <summary>The sequence number after this segment: SYN and FIN take one each.</summary>
    public uint End => Sequence + (uint)PayloadLength
        + ((Flags & TcpTracker.Syn) != 0 ? 1u : 0u) + ((Flags & TcpTracker.Fin) != 0 ? 1u : 0u);

    /// <summary>
    /// Reads a segment <see cref="PacketParser"/> accepted (its header is whole). For a
    /// segmentation-offload super-packet the payload is all of its segments'.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TcpSample Read(Span<byte> packet, in PacketInfo info)
    {
        var offset = info.TransportOffset;
        var total = info.TotalLength;
        if (info.Protocol != IpProtocol.Tcp || (uint)total > (uint)packet.Length || (uint)offset > (uint)total
            || !TcpSegment.TryParse(packet[offset..total], out var segment, out _))
        {
            return default;
        }
        var flags = (byte)segment.Flags;
        return new TcpSample(flags, segment.SequenceNumber, segment.AcknowledgementNumber, segment.WindowSize, segment.Payload.Length,
            (flags & TcpTracker.Syn) != 0 ? ReadWindowScale(segment.Options) : (sbyte)-1);
    }

    /// <summary>Only SYNs carry the option; kept out of line so <see cref="Read"/> stays small.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static sbyte ReadWindowScale(ReadOnlySpan<byte> options)
    {
        var i = 0;
        while (i < options.Length)
        {
            var kind = options[i];
            if (kind == OptionEnd)
            {
                break;
            }
            if (kind == OptionNoOperation)
            {
                i++;
                continue;
            }
            if (i + 1 >= options.Length || options[i + 1] < 2 || i + options[i + 1] > options.Length)
            {
                break;
            }
            if (kind == OptionWindowScale && options[i + 1] == 3)
            {
                return (sbyte)Math.Min((int)options[i + 2], MaxWindowScale);
            }
            i += options[i + 1];
        }
        return -1;
    }
}
