using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>
/// pcapng, as Wireshark and dumpcap save by default: each interface with its own link type and
/// timestamp resolution, Simple Packet Blocks, blocks replay has no use for skipped, and every
/// malformed length refused naming the block.
/// </summary>
public class PcapngReaderTests
{
    private static readonly byte[] Syn = Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443);
    private static readonly byte[] Syn6 = Packets.Tcp("fd09:24ef:4179::a89:5", "2001:db8::10", 40000, 443);
    private const long Second = 1_764_000_000;

    private static byte[] Ethernet(byte[] ip)
    {
        var frame = new byte[14 + ip.Length];
        frame[12] = 0x08;
        ip.CopyTo(frame, 14);
        return frame;
    }

    private static List<(long Micros, int Captured, int Offset, int Length, int Original)> ReadAll(byte[] file)
    {
        var reader = CaptureReader.Open(new MemoryStream(file));
        var buffer = new byte[70_000];
        var found = new List<(long, int, int, int, int)>();
        while (reader.TryRead(buffer, out var micros, out var captured, out var offset, out var length))
        {
            found.Add((micros, captured, offset, length, reader.OriginalLength));
        }
        return found;
    }

    private static string Refusal(byte[] file) =>
        Assert.Throws<InvalidDataException>(() => ReadAll(file)).Message;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void two_interfaces_with_their_own_link_type_and_resolution_an_unknown_block_and_a_simple_packet_are_read(bool bigEndian)
    {
        var file = new PcapngCapture(bigEndian).Section()
            .Interface(1, snapLength: 262_144) // Ethernet, microseconds by default
            .Interface(101, tsresol: 9) // raw IP, nanoseconds
            .Block(0x0BAD_CAFE, new byte[8]) // a custom block: skipped by its length
            .Block(4, new byte[12]) // Name Resolution: skipped
            .Packet(0, (ulong)(Second * 1_000_000 + 250), Ethernet(Syn))
            .Packet(1, (ulong)(Second * 1_000_000_000 + 1_500_999), Syn6)
            .Block(5, new byte[20]) // Interface Statistics: skipped
            .Simple(Ethernet(Syn))
            .ToArray();

        Assert.Equal(
            [
                (Second * 1_000_000 + 250, 14 + Syn.Length, 14, Syn.Length, 14 + Syn.Length),
                (Second * 1_000_000 + 1_500, Syn6.Length, 0, Syn6.Length, Syn6.Length),
                // No timestamp of its own: it takes the one of the packet before it.
                (Second * 1_000_000 + 1_500, 14 + Syn.Length, 14, Syn.Length, 14 + Syn.Length),
            ],
            ReadAll(file));
    }

    [Fact]
    public void a_power_of_two_resolution_and_a_timestamp_offset_are_applied()
    {
        var file = new PcapngCapture().Section()
            .Interface(101, tsresol: 0x80 | 10, tsoffset: Second) // 1/1024 s, seconds counted from the offset
            .Packet(0, 1024 * 3 + 512, Syn)
            .ToArray();

        Assert.Equal((Second + 3) * 1_000_000 + 500_000, ReadAll(file)[0].Micros);
    }

    [Fact]
    public void a_new_section_resets_the_interfaces()
    {
        var file = new PcapngCapture().Section()
            .Interface(1).Interface(101)
            .Packet(1, 1, Syn)
            .Section()
            .Interface(101)
            .Packet(1, 2, Syn)
            .ToArray();

        Assert.Equal("block 7: a packet on interface 1, but its section describes 1 interface(s)", Refusal(file));
    }

    [Fact]
    public void a_section_in_the_other_byte_order_after_the_first_is_read_in_its_own_order()
    {
        var first = new PcapngCapture().Section().Interface(101).Packet(0, 7, Syn).ToArray();
        var second = new PcapngCapture(bigEndian: true).Section().Interface(101).Packet(0, 8, Syn6).ToArray();

        var read = ReadAll([.. first, .. second]);

        Assert.Equal([(7L, Syn.Length), (8L, Syn6.Length)], read.Select(p => (p.Micros, p.Length)));
    }

    [Fact]
    public void a_packet_the_snaplen_cut_keeps_its_original_length()
    {
        var file = new PcapngCapture().Section().Interface(101, snapLength: 40).Packet(0, 1, Syn[..40], originalLength: (uint)Syn.Length).ToArray();

        var packet = Assert.Single(ReadAll(file));

        Assert.Equal((40, Syn.Length), (packet.Captured, packet.Original));
    }

    [Fact]
    public void a_link_type_replay_cannot_read_is_refused_naming_the_block_and_the_ones_it_can()
    {
        var file = new PcapngCapture().Section().Interface(9).Packet(0, 1, [0xff, 0x03, 0x00, 0x21]).ToArray();

        Assert.Equal($"block 3: interface 0 has link type 9, which is not supported ({PcapReader.Supported} are)", Refusal(file));
    }

    [Fact]
    public void a_block_length_under_12_is_refused()
    {
        var file = new PcapngCapture().Section().Interface(101).Block(6, [], length: 8).ToArray();

        Assert.Equal("block 3: its length 8 is less than the 12 bytes of a block's type and lengths", Refusal(file));
    }

    [Fact]
    public void a_block_length_not_a_multiple_of_4_is_refused()
    {
        var file = new PcapngCapture().Section().Interface(101).Block(4, new byte[6]).ToArray();

        Assert.Equal("block 3: its length 18 is not a multiple of 4", Refusal(file));
    }

    [Fact]
    public void a_block_running_past_the_end_of_the_file_is_refused()
    {
        var file = new PcapngCapture().Section().Interface(101).Packet(0, 1, Syn).ToArray();

        Assert.Equal($"block 3: the file ends inside it (its length says {32 + ((Syn.Length + 3) & ~3)} bytes)", Refusal(file[..^10]));
    }

    [Theory]
    [InlineData((byte)0x80, 0L, 253_402_300_800UL, "after the year 9999 (253402300800 units of 2^-0 s, if_tsoffset 0 s)")]
    [InlineData((byte)6, 0L, ulong.MaxValue, "after the year 9999 (18446744073709551615 units of 10^-6 s, if_tsoffset 0 s)")]
    [InlineData((byte)0, long.MaxValue, 0UL, "after the year 9999 (0 units of 10^-0 s, if_tsoffset 9223372036854775807 s)")]
    [InlineData((byte)9, long.MinValue, 5UL, "before 1970 (5 units of 10^-9 s, if_tsoffset -9223372036854775808 s)")]
    [InlineData((byte)6, -1L, 999_999UL, "before 1970 (999999 units of 10^-6 s, if_tsoffset -1 s)")]
    public void a_timestamp_outside_1970_to_9999_is_refused_naming_the_block_resolution_and_offset(byte tsresol, long tsoffset, ulong timestamp, string why)
    {
        // Replay's wall clock is a DateTimeOffset, which ends with the year 9999: a later time cannot be judged against an expire.
        var file = new PcapngCapture().Section().Interface(101, tsresol: tsresol, tsoffset: tsoffset).Packet(0, timestamp, Syn).ToArray();

        Assert.Equal($"block 3: its timestamp is {why}", Refusal(file));
    }

    [Theory]
    [InlineData((byte)0x7F)]
    [InlineData((byte)0xFF)]
    [InlineData((byte)0xE0)]
    [InlineData((byte)39)]
    public void the_finest_resolutions_read_the_largest_timestamp_as_under_a_microsecond(byte tsresol)
    {
        var file = new PcapngCapture().Section().Interface(101, tsresol: tsresol, tsoffset: Second).Packet(0, ulong.MaxValue, Syn).ToArray();

        Assert.Equal(Second * 1_000_000, ReadAll(file)[0].Micros);
    }

    [Fact]
    public void the_last_microsecond_of_the_year_9999_is_read()
    {
        var file = new PcapngCapture().Section().Interface(101).Packet(0, 253_402_300_799_999_999, Syn).ToArray();

        Assert.Equal(ICaptureReader.LatestMicroseconds, ReadAll(file)[0].Micros);
    }

    [Fact]
    public void a_packet_on_an_interface_that_was_not_described_is_refused()
    {
        var file = new PcapngCapture().Section().Interface(101).Packet(3, 1, Syn).ToArray();

        Assert.Equal("block 3: a packet on interface 3, but its section describes 1 interface(s)", Refusal(file));
    }

    [Fact]
    public void a_simple_packet_before_any_interface_is_refused()
    {
        var file = new PcapngCapture().Section().Simple(Syn).ToArray();

        Assert.Equal("block 2: a packet on interface 0, but its section describes 0 interface(s)", Refusal(file));
    }

    [Fact]
    public void a_captured_length_over_the_block_is_refused()
    {
        var file = new PcapngCapture().Section().Interface(101).Packet(0, 1, Syn, capturedLength: (uint)Syn.Length + 100).ToArray();

        Assert.Equal($"block 3: its captured length {Syn.Length + 100} is more than the block holds ({(Syn.Length + 3) & ~3})", Refusal(file));
    }

    [Fact]
    public void a_trailing_length_that_differs_from_the_leading_one_is_refused()
    {
        var file = new PcapngCapture().Section().Interface(101).Packet(0, 1, Syn).ToArray();
        file[^4] ^= 4;

        Assert.Contains("block 3: its trailing length", Refusal(file));
    }

    [Fact]
    public void blocks_before_the_first_section_header_are_not_pcapng()
    {
        var error = Assert.Throws<InvalidDataException>(() => CaptureReader.Open(new MemoryStream(new PcapngCapture().Interface(101).ToArray())));

        Assert.Contains("not a pcap file", error.Message);
    }

    [Fact]
    public void the_factory_still_reads_a_classic_capture()
    {
        var read = ReadAll(LinkTypeCapture.Of(101, Syn));

        Assert.Equal((Syn.Length, 0, Syn.Length), (read[0].Captured, read[0].Offset, read[0].Length));
    }

    [Fact]
    public void what_comes_before_the_first_packet_is_refused_when_the_file_is_opened()
    {
        var file = new PcapngCapture().Section().Interface(101).Block(1, new byte[4]).Packet(0, 1, Syn).ToArray();

        var error = Assert.Throws<InvalidDataException>(() => CaptureReader.Open(new MemoryStream(file)));

        Assert.Equal("block 3: its length 16 is too short for an interface description block (at least 20 bytes)", error.Message);
    }

    [Fact]
    public void a_pipe_that_ends_inside_a_packet_is_refused_naming_the_block()
    {
        var file = new PcapngCapture().Section().Interface(101).Packet(0, 1, Syn).Packet(0, 2, Syn).ToArray();
        var reader = CaptureReader.Open(new Unseekable(file[..^10]));
        var buffer = new byte[70_000];

        Assert.True(reader.TryRead(buffer, out _, out _, out _, out _));
        var error = Assert.Throws<InvalidDataException>(() => reader.TryRead(buffer, out _, out _, out _, out _));

        Assert.StartsWith("block 4: the file ends inside it", error.Message);
    }

    [Theory]
    [InlineData(1u, "its length 2147483648 is more than a section header or interface description needs (at most 1048576)")]
    [InlineData(0x0BADu, "the file ends inside it (its length says 2147483648 bytes)")]
    public void a_2_gb_block_length_from_a_pipe_is_refused_without_allocating_it(uint type, string why)
    {
        // A pipe cannot tell how much is left: the length is all the reader has to go by.
        var file = new PcapngCapture().Section().Interface(101).Block(type, new byte[8], length: 0x8000_0000).ToArray();
        var pipe = new Unseekable(file);

        // Opening reads up to the first packet: the block is refused there.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => CaptureReader.Open(pipe));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal($"block 3: {why}", error.Message);
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated");
    }

    [Fact]
    public void reading_packets_allocates_nothing_per_packet()
    {
        var file = new PcapngCapture().Section().Interface(1).Interface(101, tsresol: 9);
        for (var i = 0; i < 2000; i++)
        {
            file = i % 2 == 0 ? file.Packet(0, (ulong)i, Ethernet(Syn)).Block(5, new byte[20]) : file.Simple(Ethernet(Syn));
        }
        var reader = CaptureReader.Open(new MemoryStream(file.ToArray()));
        var buffer = new byte[70_000];
        // Warm: the first reads may JIT and size what is kept.
        for (var i = 0; i < 10; i++)
        {
            reader.TryRead(buffer, out _, out _, out _, out _);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var read = 0;
        while (reader.TryRead(buffer, out _, out _, out _, out _))
        {
            read++;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(1990, read);
        // Each per-packet allocation would cost at least 24 bytes: less than one byte a packet rules it out.
        Assert.True(allocated < 1990, $"{allocated} bytes allocated over {read} packets");
    }

    /// <summary>A stream that cannot seek, as a pipe: the end is found only by reading.</summary>
    private sealed class Unseekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
