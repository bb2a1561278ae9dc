using Lethe.PacketPath.Tests.Devices;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// Replay of pcapng, what Wireshark and dumpcap save: the same packets give the same verdicts and
/// forwarded capture as in classic pcap, and a malformed file is refused naming the block.
/// </summary>
public sealed class ReplayPcapngTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    private const long Start = 1_764_000_000_000_000; // µs, as Captures.Write starts

    private Task<(int Code, string Output, string Error)> Replay(string capture, params string[] extra) =>
        FirewallProcess.Run(false,
            ["replay", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", capture, "--uplink-address", Captures.Uplink, "--dns", "10.139.1.1", .. extra]);

    private static byte[] Ethernet(byte[] ip)
    {
        var frame = new byte[14 + ip.Length];
        frame[12] = 0x08;
        ip.CopyTo(frame, 14);
        return frame;
    }

    /// <summary>
    /// Captures.WorkDay at Captures.Write's times, alternating between an Ethernet interface in
    /// microseconds and a raw IP one in nanoseconds, with blocks replay skips in between.
    /// </summary>
    private static PcapngCapture WorkDay(int? count = null)
    {
        var file = new PcapngCapture().Section()
            .Interface(1)
            .Block(4, new byte[12]) // name resolution
            .Interface(101, tsresol: 9);
        var packets = Captures.WorkDay();
        for (var i = 0; i < (count ?? packets.Length); i++)
        {
            var at = Start + i * 1000L;
            file = i % 2 == 0 ? file.Packet(0, (ulong)at, Ethernet(packets[i])) : file.Packet(1, (ulong)at * 1000, packets[i]);
            file = file.Block(0x40000BAD, new byte[4]); // custom, copyable: skipped
        }
        return file;
    }

    [Fact]
    public async Task a_pcapng_capture_gets_the_same_verdicts_and_forwarded_packets_as_the_same_packets_in_classic_pcap()
    {
        var classic = Captures.Write(Path.Combine(policy.Folder, "workday.pcap"), Captures.WorkDay());
        var pcapng = Path.Combine(policy.Folder, "workday.pcapng");
        await File.WriteAllBytesAsync(pcapng, WorkDay().ToArray());

        var (classicCode, classicVerdicts, classicError) = await Replay(classic, "--out", classic + ".out");
        var (code, verdicts, error) = await Replay(pcapng, "--out", pcapng + ".out");

        Assert.True(classicCode == 0, classicError);
        Assert.True(code == 0, error);
        Assert.Equal(6, verdicts.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(classicVerdicts, verdicts);
        Assert.Equal(await File.ReadAllBytesAsync(classic + ".out"), await File.ReadAllBytesAsync(pcapng + ".out"));
        Assert.Contains("replayed 6 packets", error);
    }

    [Fact]
    public async Task a_pcapng_capture_with_a_malformed_interface_is_refused_naming_the_block_and_writes_nothing()
    {
        var pcapng = Path.Combine(policy.Folder, "bad-interface.pcapng");
        var bytes = WorkDay().ToArray();
        // The second interface (block 4) says it holds 18 bytes: not a multiple of 4.
        var good = new PcapngCapture().Section().Interface(1).Block(4, new byte[12]).ToArray().Length;
        bytes[good + 4] = 18;
        await File.WriteAllBytesAsync(pcapng, bytes);
        var verdicts = pcapng + ".jsonl";
        var forwarded = pcapng + ".out";

        var (code, output, error) = await Replay(pcapng, "--verdicts", verdicts, "--out", forwarded);

        Assert.Equal(2, code);
        Assert.Equal($"error: --pcap {pcapng}: block 4: its length 18 is not a multiple of 4", error.Trim());
        Assert.Equal("", output);
        Assert.False(File.Exists(verdicts), "a refused replay left a verdicts file behind");
        Assert.False(File.Exists(forwarded), "a refused replay left an --out file behind");
    }

    [Fact]
    public async Task a_pcapng_packet_on_an_interface_not_described_is_refused_as_a_classic_record_cut_short_is()
    {
        var classic = Captures.Write(Path.Combine(policy.Folder, "cut.pcap"), Captures.WorkDay()[..3]);
        var classicBytes = await File.ReadAllBytesAsync(classic);
        await File.WriteAllBytesAsync(classic, classicBytes[..^10]);
        var pcapng = Path.Combine(policy.Folder, "stray.pcapng");
        await File.WriteAllBytesAsync(pcapng, WorkDay(count: 2).Packet(7, 1, Captures.WorkDay()[2]).ToArray());

        var (classicCode, _, classicError) = await Replay(classic, "--verdicts", classic + ".jsonl");
        var (code, _, error) = await Replay(pcapng, "--verdicts", pcapng + ".jsonl");

        Assert.Equal(2, classicCode);
        Assert.Contains("the file ends inside record 3", classicError);
        Assert.Equal(2, code);
        Assert.Equal($"error: --pcap {pcapng}: block 9: a packet on interface 7, but its section describes 2 interface(s)", error.Trim());
        // What was judged before the bad block is kept (or not) as for a classic capture.
        Assert.Equal(File.Exists(classic + ".jsonl"), File.Exists(pcapng + ".jsonl"));
        if (File.Exists(classic + ".jsonl"))
        {
            Assert.Equal(await File.ReadAllTextAsync(classic + ".jsonl"), await File.ReadAllTextAsync(pcapng + ".jsonl"));
        }
    }

    [Fact]
    public async Task a_packet_dated_after_the_year_9999_is_refused_naming_the_block_not_a_crash()
    {
        // A timestamp in seconds (tsresol 2^-0) one past the last second a DateTimeOffset, replay's wall clock, holds.
        var pcapng = Path.Combine(policy.Folder, "far-future.pcapng");
        await File.WriteAllBytesAsync(pcapng, new PcapngCapture().Section().Interface(101, tsresol: 0x80).Packet(0, 253_402_300_800, Captures.WorkDay()[0]).ToArray());

        var (code, _, error) = await Replay(pcapng, "--verdicts", pcapng + ".jsonl");

        Assert.True(code == 2, error);
        Assert.Equal($"error: --pcap {pcapng}: block 3: its timestamp is after the year 9999 (253402300800 units of 2^-0 s, if_tsoffset 0 s)", error.Trim());
    }
}
