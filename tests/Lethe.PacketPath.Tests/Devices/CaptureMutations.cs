using System.Buffers.Binary;
using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>
/// Valid classic and pcapng captures of every supported link type, and the ways a hostile or broken
/// file differs from one: bytes flipped, the file cut, blocks spliced, lengths of 0, 2 GB or near
/// uint.MaxValue written where a length was. For <see cref="CaptureReaderFuzzTests"/>.
/// </summary>
public static class CaptureMutations
{
    private static readonly uint[] LinkTypes =
    [
        PcapReader.LinkTypeNull, PcapReader.LinkTypeEthernet, PcapReader.LinkTypeRaw, PcapReader.LinkTypeLoop,
        PcapReader.LinkTypeLinuxSll, PcapReader.LinkTypeIpv4, PcapReader.LinkTypeIpv6, PcapReader.LinkTypeLinuxSll2,
    ];

    /// <summary>Lengths a liar writes: none, under a header, around 2 GB and uint.MaxValue, just past the description cap.</summary>
    private static readonly uint[] Lengths =
    [
        0, 1, 3, 4, 8, 11, 12, 16, 20, 28, 32, 0xFFFF, 0x10000, 262_144, 262_145, (1 << 20) + 16, (1 << 20) + 20,
        0x7FFF_FFFC, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0004, 0xFFFF_FFF0, 0xFFFF_FFFC, 0xFFFF_FFFF,
    ];

    private static readonly byte[] Resolutions = [0, 3, 6, 9, 19, 38, 39, 0x3F, 0x7E, 0x7F, 0x80, 0x8A, 0x9E, 0xBF, 0xC0, 0xFE, 0xFF];

    private static readonly long[] Offsets = [0, 1, -1, 1_764_000_000, -1_764_000_000, 253_402_300_799, 253_402_300_800, 1L << 62, long.MaxValue, long.MinValue];

    private static readonly ulong[] Timestamps = [0, 1, 1_764_000_000_000_000, 253_402_300_799_999_999, 253_402_300_800_000_000, 1UL << 63, ulong.MaxValue];

    private static readonly byte[][] IpPackets =
    [
        Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443),
        Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, payload: 33),
        Packets.Udp("fd09:24ef:4179::a89:5", "2001:db8::10", 40000, 53),
        Packets.Udp("fd09:24ef:4179::a89:5", "2001:db8::10", 40000, 53, payload: 17),
    ];

    public static byte[] Valid(Random random) => random.Next(3) == 0 ? Classic(random) : Pcapng(random);

    /// <summary>A valid file with one to four mutations.</summary>
    public static byte[] Mutated(Random random)
    {
        var file = Valid(random);
        for (var i = random.Next(1, 5); i > 0; i--)
        {
            file = Mutate(random, file);
        }
        return file;
    }

    /// <summary>A frame the link type's reader must take apart: a whole IP packet behind its link header, or any short piece of one.</summary>
    public static byte[] Frame(Random random, uint linkType)
    {
        var ip = IpPackets[random.Next(IpPackets.Length)];
        var v6 = ip[0] >> 4 == 6;
        ushort etherType = v6 ? (ushort)0x86DD : (ushort)0x0800;
        if (random.Next(8) == 0)
        {
            etherType = random.Next(2) == 0 ? (ushort)0x0806 : (ushort)random.Next(0x10000);
        }
        var vlans = random.Next(4) == 0 ? random.Next(1, 3) : 0;
        byte[] frame = linkType switch
        {
            PcapReader.LinkTypeEthernet => EtherFrame(new byte[14], 12, etherType, vlans, ip),
            PcapReader.LinkTypeLinuxSll => EtherFrame(new byte[16], 14, etherType, vlans, ip),
            PcapReader.LinkTypeLinuxSll2 => EtherFrame(new byte[20], 0, etherType, vlans, ip),
            PcapReader.LinkTypeNull or PcapReader.LinkTypeLoop => Loopback(random, v6, ip),
            _ => ip,
        };
        // Every short length: cut inside the link header, at its end, inside the IP header.
        return random.Next(3) == 0 ? frame[..random.Next(0, Math.Min(frame.Length, 48) + 1)] : frame;
    }

    private static byte[] EtherFrame(byte[] header, int typeAt, ushort etherType, int vlans, byte[] ip)
    {
        var type = vlans > 0 ? (ushort)0x8100 : etherType;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(typeAt), type);
        var frame = new List<byte>(header);
        for (var i = 0; i < vlans; i++)
        {
            var tag = new byte[4];
            BinaryPrimitives.WriteUInt16BigEndian(tag.AsSpan(2), i + 1 < vlans ? (ushort)0x88A8 : etherType);
            frame.AddRange(tag);
        }
        frame.AddRange(ip);
        return [.. frame];
    }

    private static byte[] Loopback(Random random, bool v6, byte[] ip)
    {
        uint family = v6 ? new uint[] { 10, 24, 28, 30 }[random.Next(4)] : 2;
        if (random.Next(8) == 0)
        {
            family = (uint)random.Next();
        }
        var frame = new byte[4 + ip.Length];
        if (random.Next(2) == 0) BinaryPrimitives.WriteUInt32BigEndian(frame, family);
        else BinaryPrimitives.WriteUInt32LittleEndian(frame, family);
        ip.CopyTo(frame, 4);
        return frame;
    }

    /// <summary>A classic file: either byte order, micro- or nanoseconds, snaplen and lengths as the frames are or cut.</summary>
    public static byte[] Classic(Random random)
    {
        var bigEndian = random.Next(2) == 0;
        var nanoseconds = random.Next(2) == 0;
        var linkType = LinkTypes[random.Next(LinkTypes.Length)];
        var stream = new MemoryStream();
        var header = new byte[24];
        U32(header, 0, nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, bigEndian);
        U32(header, 4, 0x0004_0002, bigEndian);
        U32(header, 16, random.Next(4) == 0 ? Lengths[random.Next(Lengths.Length)] : 262_144, bigEndian);
        // Now and then the FCS bits above the link type.
        U32(header, 20, linkType | (random.Next(8) == 0 ? 0x1000_0000u : 0), bigEndian);
        stream.Write(header);
        for (var i = random.Next(0, 6); i > 0; i--)
        {
            var frame = Frame(random, linkType);
            var record = new byte[16];
            U32(record, 0, (uint)random.NextInt64(0, 1L << 32), bigEndian);
            U32(record, 4, (uint)random.Next(0, nanoseconds ? 1_000_000_000 : 1_000_000), bigEndian);
            U32(record, 8, (uint)frame.Length, bigEndian);
            U32(record, 12, (uint)(frame.Length + (random.Next(4) == 0 ? random.Next(0, 2000) : 0)), bigEndian);
            stream.Write(record);
            stream.Write(frame);
        }
        return stream.ToArray();
    }

    /// <summary>A pcapng file: one or two sections, interfaces of every supported link type and timestamp resolution, packets on them, blocks to skip.</summary>
    public static byte[] Pcapng(Random random)
    {
        var file = new List<byte>();
        for (var s = random.Next(1, 3); s > 0; s--)
        {
            var capture = new PcapngCapture(bigEndian: random.Next(2) == 0).Section();
            var interfaces = new List<uint>();
            for (var i = random.Next(1, 4); i > 0; i--)
            {
                var linkType = random.Next(12) == 0 ? 9u : LinkTypes[random.Next(LinkTypes.Length)];
                interfaces.Add(linkType);
                capture.Interface(
                    (ushort)linkType,
                    random.Next(3) == 0 ? Lengths[random.Next(Lengths.Length)] : 0,
                    random.Next(2) == 0 ? Resolutions[random.Next(Resolutions.Length)] : random.Next(3) == 0 ? (byte)random.Next(256) : null,
                    random.Next(3) == 0 ? Offsets[random.Next(Offsets.Length)] : null);
            }
            for (var p = random.Next(0, 6); p > 0; p--)
            {
                var id = random.Next(interfaces.Count);
                var frame = Frame(random, interfaces[id]);
                var original = (uint)(frame.Length + (random.Next(4) == 0 ? random.Next(0, 2000) : 0));
                switch (random.Next(6))
                {
                    case 0:
                        capture.Simple(frame, random.Next(4) == 0 ? original : null);
                        break;
                    case 1:
                        capture.Block((uint)random.Next(2, 0x100), new byte[random.Next(0, 8) * 4]);
                        break;
                    default:
                        var timestamp = random.Next(3) == 0 ? Timestamps[random.Next(Timestamps.Length)] : (ulong)random.NextInt64();
                        capture.Packet(random.Next(16) == 0 ? (uint)random.Next() : (uint)id, timestamp, frame, original);
                        break;
                }
            }
            file.AddRange(capture.ToArray());
        }
        return [.. file];
    }

    private static byte[] Mutate(Random random, byte[] file)
    {
        if (file.Length == 0)
        {
            return file;
        }
        var bytes = (byte[])file.Clone();
        switch (random.Next(9))
        {
            case 0:
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1:
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return bytes;
            case 2:
                return bytes[..random.Next(bytes.Length)];
            case 3 or 4:
                {
                    // A lying length, in either byte order, where a length or other 32-bit field lies.
                    if (bytes.Length < 4) return bytes;
                    var at = random.Next(bytes.Length / 4) * 4;
                    U32(bytes, at, Lengths[random.Next(Lengths.Length)], random.Next(2) == 0);
                    return bytes;
                }
            case 5:
                {
                    // A block spliced in again elsewhere (a copy of a range, at a 4-byte boundary).
                    var from = random.Next(bytes.Length / 4 + 1) * 4;
                    var count = Math.Min(random.Next(0, 200), bytes.Length - from);
                    var to = random.Next(bytes.Length / 4 + 1) * 4;
                    return [.. bytes[..to], .. bytes.AsSpan(from, count), .. bytes[to..]];
                }
            case 6:
                {
                    // A range cut out of the middle.
                    var from = random.Next(bytes.Length);
                    var count = random.Next(0, bytes.Length - from + 1);
                    return [.. bytes[..from], .. bytes[(from + count)..]];
                }
            case 7:
                {
                    // An interface's option: tsresol or tsoffset extreme, or an option length running past the block.
                    var at = random.Next(bytes.Length);
                    var option = random.Next(3) switch
                    {
                        0 => new byte[] { 9, 0, 1, 0, Resolutions[random.Next(Resolutions.Length)], 0, 0, 0 },
                        1 => [14, 0, 8, 0, .. BitConverter.GetBytes(Offsets[random.Next(Offsets.Length)])],
                        _ => [(byte)random.Next(16), 0, 0xFF, 0xFF],
                    };
                    option.AsSpan(0, Math.Min(option.Length, bytes.Length - at)).CopyTo(bytes.AsSpan(at));
                    return bytes;
                }
            default:
                return [.. bytes, .. Valid(random).AsSpan(random.Next(2) == 0 ? 0 : 24)];
        }
    }

    private static void U32(byte[] bytes, int at, uint value, bool bigEndian)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), value);
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), value);
    }
}
