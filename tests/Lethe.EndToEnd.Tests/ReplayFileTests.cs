using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Tests;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests;

/// <summary>Replay's files: a capture is never written over through another name, and what the snaplen cut is judged only where its headers were kept.</summary>
public sealed class ReplayFileTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    private async Task<(int Code, string Err, JsonNode[] Verdicts)> Replay(string capture, params string[] extra)
    {
        var verdicts = capture + ".jsonl";
        var (code, _, err) = await FirewallProcess.Run(false,
            ["replay", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", capture, "--dns", "10.139.1.1", "--verdicts", verdicts, .. extra]);
        var lines = File.Exists(verdicts) ? await File.ReadAllLinesAsync(verdicts) : [];
        return (code, err, lines.Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!).ToArray());
    }

    private static string EthernetCapture(string path, uint snapLength, params byte[][] ipPackets)
    {
        using var stream = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], PcapReader.LinkTypeEthernet);
        stream.Write(header);
        var t = 1_764_000_000u;
        Span<byte> record = stackalloc byte[16];
        foreach (var ip in ipPackets)
        {
            var frame = new byte[14 + ip.Length];
            frame[12] = 0x08; // IPv4
            ip.CopyTo(frame, 14);
            var captured = (int)Math.Min(frame.Length, snapLength);
            BinaryPrimitives.WriteUInt32LittleEndian(record, t++);
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)captured);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
            stream.Write(record);
            stream.Write(frame, 0, captured);
        }
        return path;
    }

    [Fact]
    public async Task an_ipv4_frame_cut_right_after_its_ethernet_header_is_truncated_not_another_protocol()
    {
        var capture = EthernetCapture(Path.Combine(policy.Folder, "snap14.pcap"), 14, Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443));

        var (code, _, verdicts) = await Replay(capture);

        Assert.Equal(0, code);
        Assert.Equal("truncated", verdicts[0]["reason"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(10)] // inside the IPv4 header: the addresses are not captured
    [InlineData(22)] // inside the TCP header: the destination port is not captured
    public async Task a_packet_whose_headers_the_snaplen_cut_is_dropped_as_truncated_not_judged_on_zeros(int snapLength)
    {
        byte[][] packets = [Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443)];
        var whole = Captures.Write(Path.Combine(policy.Folder, $"hdrwhole{snapLength}.pcap"), packets);
        var cut = Captures.Write(Path.Combine(policy.Folder, $"hdrcut{snapLength}.pcap"), packets, snapLength);

        var (_, _, wholeVerdicts) = await Replay(whole);
        var (code, _, cutVerdicts) = await Replay(cut);

        Assert.Equal(0, code);
        Assert.Equal("accept", wholeVerdicts[0]["verdict"]!.GetValue<string>());
        Assert.Equal(("drop", "truncated"), (cutVerdicts[0]["verdict"]!.GetValue<string>(), cutVerdicts[0]["reason"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("symbolic")]
    [InlineData("hard")]
    public async Task an_out_path_that_is_a_link_to_the_capture_is_refused_and_the_capture_kept(string kind)
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, $"linked-{kind}.pcap"), Captures.WorkDay());
        var before = await File.ReadAllBytesAsync(capture);
        var link = Path.Combine(policy.Folder, $"link-{kind}.pcap");
        if (kind == "symbolic")
        {
            File.CreateSymbolicLink(link, capture);
        }
        else
        {
            Lethe.PacketPath.Tests.Devices.Command.Run("ln", capture, link);
        }

        var (code, err, _) = await Replay(capture, "--out", link);

        Assert.Equal(before, await File.ReadAllBytesAsync(capture));
        Assert.Equal(2, code);
        Assert.Contains("is the capture being read (--pcap)", err);
    }

    [Fact]
    public async Task a_folder_given_as_the_capture_is_named_as_a_folder_with_its_flag()
    {
        var folder = Path.Combine(policy.Folder, "a-folder.pcap");
        Directory.CreateDirectory(folder);

        var (code, err, _) = await Replay(folder);

        Assert.Equal(2, code);
        Assert.Equal($"error: --pcap {folder}: is a folder; give a capture file", err.Trim());
    }

    [Fact]
    public async Task an_icmp_error_whose_quote_the_snaplen_cut_is_not_judged_on_a_quote_of_zeros()
    {
        var syn = Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Syn, dontFragment: true);
        var error = Packets.IcmpError("192.0.2.1", "10.137.0.5", IcmpV4Message.DestinationUnreachable, 4, syn, restOfHeader: 1400);
        var whole = EthernetCapture(Path.Combine(policy.Folder, "icmp-whole.pcap"), 262_144, syn, error);
        // 14 + 20 + 8 + 20: the quoted IP header is there, its ports are not.
        var cut = EthernetCapture(Path.Combine(policy.Folder, "icmp-cut62.pcap"), 62, syn, error);
        // 14 + 20 + 8 + 20 + 8: the quote's first 8 transport bytes too, all an error must quote.
        var enough = EthernetCapture(Path.Combine(policy.Folder, "icmp-cut70.pcap"), 70, syn, error);

        var (_, _, wholeVerdicts) = await Replay(whole);
        var (code, _, cutVerdicts) = await Replay(cut);
        var (_, _, enoughVerdicts) = await Replay(enough);

        Assert.Equal(0, code);
        Assert.Equal("tracked-flow", wholeVerdicts[1]["reason"]!.GetValue<string>());
        Assert.Equal("truncated", cutVerdicts[1]["reason"]!.GetValue<string>());
        Assert.Equal("tracked-flow", enoughVerdicts[1]["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_packet_with_a_bad_ip_checksum_keeps_its_reason_when_the_snaplen_cut_only_its_payload()
    {
        var packet = Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Syn, payload: 600);
        packet[10] ^= 0xFF;
        var whole = Captures.Write(Path.Combine(policy.Folder, "badck-whole.pcap"), [packet]);
        var cut = Captures.Write(Path.Combine(policy.Folder, "badck-cut.pcap"), [packet], snapLength: 64);

        var (_, _, wholeVerdicts) = await Replay(whole);
        var (code, _, cutVerdicts) = await Replay(cut);

        Assert.Equal(0, code);
        Assert.Equal("bad-ip-checksum", wholeVerdicts[0]["reason"]!.GetValue<string>());
        Assert.Equal("bad-ip-checksum", cutVerdicts[0]["reason"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("symbolic")]
    [InlineData("hard")]
    public async Task out_and_verdicts_naming_one_file_through_a_link_are_refused_and_neither_written(string kind)
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, $"pair-{kind}.pcap"), Captures.WorkDay());
        var target = Path.Combine(policy.Folder, $"pair-{kind}.out");
        var link = Path.Combine(policy.Folder, $"pair-{kind}.link");
        await File.WriteAllTextAsync(target, "kept");
        if (kind == "symbolic")
        {
            File.CreateSymbolicLink(link, target);
        }
        else
        {
            Lethe.PacketPath.Tests.Devices.Command.Run("ln", target, link);
        }

        var (code, _, error) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--pcap", capture, "--out", target, "--verdicts", link);

        Assert.Equal(2, code);
        Assert.Contains("--out and --verdicts", error);
        Assert.Equal("kept", await File.ReadAllTextAsync(target));
    }

    [Theory]
    [InlineData("-", "/dev/stdout")]
    [InlineData("/dev/fd/1", "/dev/stdout")]
    public async Task the_forwarded_capture_and_the_verdicts_both_on_stdout_are_refused_under_any_names(string outPath, string verdicts)
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "stdout-pair.pcap"), Captures.WorkDay());

        var (code, output, error) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--pcap", capture, "--out", outPath, "--verdicts", verdicts);

        Assert.True(code == 2, $"exit {code}; stdout holds {output.Length} chars; stderr: {error}");
        Assert.Contains("would both go to stdout", error);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("--out", "-", "would both go to stdout")]
    [InlineData("--verdicts", "", "--verdicts is empty: give a file name")]
    [InlineData("--max-flows", "0", "--max-flows: 0 is outside 1..")]
    [InlineData("--uplink-address", "224.0.0.1", "--uplink-address: 224.0.0.1 is a multicast")]
    [InlineData("--dns", "resolver", "--dns: 'resolver' is not an IPv4 or IPv6 address")]
    [InlineData("--resolve", "updates.example=nowhere", "--resolve: 'nowhere' is not an IPv4 or IPv6 address")]
    [InlineData("--resolve", "=192.0.2.7", "--resolve: '=192.0.2.7' is not NAME=ADDR or NAME=")]
    public async Task a_bad_flag_the_snapshot_has_no_say_in_is_told_before_the_snapshot_is_read(string flag, string value, string expected)
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "flags-first.pcap"), Captures.WorkDay());

        await FirewallProcess.AssertRefusedBeforeTheSnapshot(policy.Folder, "replay", expected, "--pcap", capture, flag, value);
    }

    [Fact]
    public async Task a_refused_replay_makes_no_output_file()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "refused-new.pcap"), Captures.WorkDay());
        var verdicts = Path.Combine(policy.Folder, "refused-new.jsonl");
        var forwarded = Path.Combine(policy.Folder, "refused-new-out.pcap");
        var link = Path.Combine(policy.Folder, "refused-new-link.pcap");
        File.CreateSymbolicLink(link, capture);

        var (code, _, error) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--pcap", capture, "--verdicts", verdicts, "--out", Path.Combine(policy.Folder, "no-such-folder", "out.pcap"));
        var (linkCode, _, _) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--pcap", capture, "--out", forwarded, "--verdicts", link);

        Assert.Equal(2, code);
        Assert.Contains("--out: cannot write", error);
        Assert.False(File.Exists(verdicts), "a refused replay left an empty verdicts file behind");
        Assert.Equal(2, linkCode);
        Assert.False(File.Exists(forwarded), "a refused replay left an empty --out file behind");
    }

    [Fact]
    public async Task a_refused_replay_removes_the_file_it_made_behind_a_link_to_a_missing_file()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "dangling.pcap"), Captures.WorkDay());
        var toCapture = Path.Combine(policy.Folder, "dangling-capture-link.jsonl");
        File.CreateSymbolicLink(toCapture, capture);
        var missing = Path.Combine(policy.Folder, "dangling-target.pcap");
        var dangling = Path.Combine(policy.Folder, "dangling-link.pcap");
        File.CreateSymbolicLink(dangling, missing);

        var (code, _, error) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--pcap", capture, "--verdicts", toCapture, "--out", dangling);

        Assert.Equal(2, code);
        Assert.Contains("is the capture being read (--pcap)", error);
        Assert.False(File.Exists(missing), "a refused replay left the empty file it made through --out's link behind");
    }

    [Theory]
    [InlineData(30)] // the IPv4 header and 10 bytes of the TCP header
    [InlineData(34)]
    public async Task a_first_fragment_whose_tcp_header_the_snaplen_cut_is_truncated_not_a_bad_fragment(int snapLength)
    {
        var whole = Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Syn, payload: 600);
        byte[][] packets = [Packets.Fragment(whole, 0, 512)];
        var wholeCapture = Captures.Write(Path.Combine(policy.Folder, $"frag-whole{snapLength}.pcap"), packets);
        var cut = Captures.Write(Path.Combine(policy.Folder, $"frag-cut{snapLength}.pcap"), packets, snapLength);

        var (_, _, wholeVerdicts) = await Replay(wholeCapture);
        var (code, _, cutVerdicts) = await Replay(cut);

        Assert.Equal(0, code);
        Assert.Equal("fragment-without-flow", wholeVerdicts[0]["reason"]!.GetValue<string>());
        Assert.Equal("truncated", cutVerdicts[0]["reason"]!.GetValue<string>());
    }
}
