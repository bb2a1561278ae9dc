using System.Text.Json.Nodes;
using Lethe.PacketPath.Tests;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests;

public sealed class ReplayTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    private Task<(int Code, string Output, string Error)> RunReplay(string snapshot, string capture, params string[] extra) =>
        FirewallProcess.Run(false,
            ["replay", "--snapshot", snapshot, "--trust", policy.PublicKey, "--pcap", capture, "--uplink-address", Captures.Uplink, "--dns", "10.139.1.1", .. extra]);

    private async Task<JsonNode[]> Replay(string snapshot, string capture, params string[] extra)
    {
        var (code, output, error) = await RunReplay(snapshot, capture, extra);
        Assert.True(code == 0, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!).ToArray();
    }

    [Fact]
    public async Task a_capture_refused_for_its_header_leaves_the_output_files_as_they_were()
    {
        var capture = Path.Combine(policy.Folder, "not-a-capture.pcap");
        await File.WriteAllTextAsync(capture, "this is not a pcap file, only text long enough for a header");
        var outPcap = Path.Combine(policy.Folder, "kept.pcap");
        var verdicts = Path.Combine(policy.Folder, "kept.jsonl");
        await File.WriteAllTextAsync(outPcap, "precious");
        await File.WriteAllTextAsync(verdicts, "precious");

        var (code, _, error) = await RunReplay(policy.V1, capture, "--out", outPcap, "--verdicts", verdicts);

        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error.Trim());
        Assert.Equal("precious", await File.ReadAllTextAsync(outPcap));
        Assert.Equal("precious", await File.ReadAllTextAsync(verdicts));
    }

    [Fact]
    public async Task packets_cut_short_by_the_captures_snaplen_get_the_verdicts_of_the_whole_packets()
    {
        byte[][] packets =
        [
            Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Syn, payload: 600),
            Packets.Udp("10.137.0.5", "10.139.1.1", 5353, 53, payload: 300),
            Packets.Tcp("10.137.0.5", "192.0.2.10", 40002, 22, TcpFlags.Syn, payload: 600),
        ];
        var whole = Captures.Write(Path.Combine(policy.Folder, "whole.pcap"), packets);
        var cut = Captures.Write(Path.Combine(policy.Folder, "cut.pcap"), packets, snapLength: 64);

        var (wholeCode, wholeOut, _) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", whole, "--dns", "10.139.1.1");
        var (cutCode, cutOut, cutErr) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", cut, "--dns", "10.139.1.1");

        Assert.Equal((0, 0), (wholeCode, cutCode));
        Assert.Contains("\"verdict\":\"accept\"", wholeOut);
        Assert.Equal(wholeOut, cutOut);
        Assert.Contains("warning: 3 packet(s) were cut short by the capture's snaplen (64 bytes)", cutErr);
    }

    [Fact]
    public async Task an_out_file_that_cannot_be_written_leaves_the_verdicts_file_as_it_was()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "keepverdicts.pcap"), Captures.WorkDay());
        var verdicts = Path.Combine(policy.Folder, "yesterday.jsonl");
        await File.WriteAllTextAsync(verdicts, "yesterday's verdicts\n");

        var (code, _, error) = await RunReplay(policy.V1, capture, "--out", Path.Combine(policy.Folder, "no-such-folder", "out.pcap"), "--verdicts", verdicts);

        Assert.Equal(2, code);
        Assert.Contains("--out: cannot write", error);
        Assert.Equal("yesterday's verdicts\n", await File.ReadAllTextAsync(verdicts));
    }

    [Fact]
    public async Task a_capture_that_ends_inside_a_record_is_named_with_the_record()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "endsinside.pcap"), Captures.WorkDay());
        var bytes = await File.ReadAllBytesAsync(capture);
        await File.WriteAllBytesAsync(capture, bytes[..^10]);

        var (code, _, error) = await RunReplay(policy.V1, capture);

        Assert.Equal(2, code);
        Assert.Contains($"error: --pcap {capture}: the file ends inside record 6", error);
    }

    [Fact]
    public async Task verdicts_go_to_dev_null_or_into_a_pipe_as_to_a_file()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "devices.pcap"), Captures.WorkDay());
        var fifo = Path.Combine(policy.Folder, "verdicts.fifo");
        var seen = Path.Combine(policy.Folder, "through-the-pipe.jsonl");
        Lethe.PacketPath.Tests.Devices.Command.Run("mkfifo", fifo);
        using var reader = System.Diagnostics.Process.Start("sh", ["-c", "cat \"$0\" > \"$1\"", fifo, seen])!;

        var (nullCode, _, nullErr) = await RunReplay(policy.V1, capture, "--out", Path.Combine(policy.Folder, "devices-out.pcap"), "--verdicts", "/dev/null");
        var (pipeCode, _, pipeErr) = await RunReplay(policy.V1, capture, "--verdicts", fifo);
        await reader.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);

        Assert.True(nullCode == 0, nullErr);
        Assert.True(pipeCode == 0, pipeErr);
        Assert.Equal(6, (await File.ReadAllLinesAsync(seen)).Length);
    }

    [Fact]
    public async Task an_empty_capture_path_is_named_not_a_stack_trace()
    {
        var (code, _, error) = await RunReplay(policy.V1, "");

        Assert.Equal(2, code);
        Assert.Equal("error: --pcap is empty: give a file name", error.Trim());
    }

    [Fact]
    public async Task replay_writes_one_verdict_per_packet_naming_client_rule_reason_and_snapshot()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "day.pcap"), Captures.WorkDay());

        var verdicts = await Replay(policy.V1, capture);

        Assert.Equal(6, verdicts.Length);
        Assert.Equal([1, 2, 3, 4, 5, 6], verdicts.Select(v => v["n"]!.GetValue<int>()));
        Assert.All(verdicts, v => Assert.Equal(1, v["snapshot"]!.GetValue<int>()));
        Assert.Equal(("accept", "work", policy.HttpsRule, "new-flow"),
            (verdicts[0]["verdict"]!.GetValue<string>(), verdicts[0]["client"]!.GetValue<string>(), verdicts[0]["rule"]!.GetValue<string>(), verdicts[0]["reason"]!.GetValue<string>()));
        Assert.Equal(("drop", "rule-drop"), (verdicts[2]["verdict"]!.GetValue<string>(), verdicts[2]["reason"]!.GetValue<string>()));
        Assert.Equal("accept", verdicts[3]["verdict"]!.GetValue<string>());
        Assert.Equal(("drop", "unsolicited-from-uplink"), (verdicts[4]["verdict"]!.GetValue<string>(), verdicts[4]["reason"]!.GetValue<string>()));
        Assert.Null(verdicts[4]["client"]);
    }

    [Fact]
    public async Task a_policy_of_more_than_a_thousand_clients_replays_and_its_last_client_keeps_its_own_rules()
    {
        using var http = policy.Host.Client();
        await PublishedPolicy.Send(http, "/policies", new { name = "crowd", reason = "one qube each" });
        for (var i = 0; i < 1_030; i++)
        {
            await PublishedPolicy.Send(http, "/policies/crowd/clients", new { name = $"q{i}", addresses = new[] { $"10.138.{i / 250}.{i % 250 + 1}" }, reason = "qube" });
        }
        await PublishedPolicy.Send(http, "/policies/crowd/clients/q1029/rules", new { rule = "action=accept proto=tcp dstports=443", reason = "the last one" });
        await PublishedPolicy.Send(http, "/policies/crowd/publish", new { reason = "v1" });
        var snapshot = Path.Combine(policy.Folder, "crowd-v1.json");
        await File.WriteAllBytesAsync(snapshot, await http.GetByteArrayAsync("/policies/crowd/snapshots/1"));
        var capture = Captures.Write(Path.Combine(policy.Folder, "crowd.pcap"),
            [Packets.Tcp("10.138.4.30", "192.0.2.10", 40000, 443), Packets.Tcp("10.138.0.1", "192.0.2.10", 40000, 443)]);

        var verdicts = await Replay(snapshot, capture);

        Assert.Equal(("accept", "q1029"), (verdicts[0]["verdict"]!.GetValue<string>(), verdicts[0]["client"]!.GetValue<string>()));
        Assert.Equal(("drop", "q0", "no-rule-matched"),
            (verdicts[1]["verdict"]!.GetValue<string>(), verdicts[1]["client"]!.GetValue<string>(), verdicts[1]["reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task a_name_pinned_as_resolved_to_nothing_lets_its_accept_match_nothing()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "nothing.pcap"), [Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443)]);

        var verdicts = await Replay(policy.NamedV1, capture, "--resolve", "lab.example=");

        Assert.Equal(("drop", "rule-drop"), (verdicts[0]["verdict"]!.GetValue<string>(), verdicts[0]["reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task the_same_capture_is_judged_by_v1_and_v2_as_their_rules_say()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "day2.pcap"), Captures.WorkDay());

        var v1 = await Replay(policy.V1, capture);
        var v2 = await Replay(policy.V2, capture);

        Assert.Equal("drop", v1[1]["verdict"]!.GetValue<string>());
        Assert.Equal("accept", v2[1]["verdict"]!.GetValue<string>());
        Assert.Equal(2, v2[1]["snapshot"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_replay_gives_the_same_output_every_time()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "again.pcap"), Captures.WorkDay());
        var first = Path.Combine(policy.Folder, "first.pcap");
        var second = Path.Combine(policy.Folder, "second.pcap");

        var a = await Replay(policy.V2, capture, "--out", first);
        var b = await Replay(policy.V2, capture, "--out", second);

        Assert.Equal(a.Select(v => v.ToJsonString()), b.Select(v => v.ToJsonString()));
        Assert.Equal(await File.ReadAllBytesAsync(first), await File.ReadAllBytesAsync(second));
    }

    [Fact]
    public async Task forwarded_packets_leave_behind_the_uplink_address_with_valid_checksums()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "nat.pcap"), Captures.WorkDay());
        var forwarded = Path.Combine(policy.Folder, "forwarded.pcap");

        await Replay(policy.V1, capture, "--out", forwarded);

        var packets = Captures.Read(forwarded);
        Assert.Equal(2, packets.Count);
        Assert.All(packets, p => Assert.Equal(Captures.Uplink, Captures.Parse(p).Source.ToString()));
        Assert.All(packets, p => Assert.True(Lethe.PacketPath.Wire.Ipv4Packet.TryParse(p, out var ip, out _) && ip.VerifyHeaderChecksum()));
    }

    [Fact]
    public async Task resolve_pins_the_answer_a_dsthost_rule_matches()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "named.pcap"), Captures.WorkDay());

        var unresolved = await Replay(policy.NamedV1, capture);
        var pinned = await Replay(policy.NamedV1, capture, "--resolve", "lab.example=192.0.2.10");

        Assert.Equal(("drop", "rule-drop"), (unresolved[0]["verdict"]!.GetValue<string>(), unresolved[0]["reason"]!.GetValue<string>()));
        Assert.Equal(("accept", policy.NamedRule), (pinned[0]["verdict"]!.GetValue<string>(), pinned[0]["rule"]!.GetValue<string>()));
        Assert.Equal("drop", pinned[1]["verdict"]!.GetValue<string>());
    }

    [Fact]
    public async Task resolve_of_a_name_no_rule_holds_is_a_flag_error()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "unnamed.pcap"), Captures.WorkDay());

        var (code, output, error) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.NamedV1, "--trust", policy.PublicKey,
            "--pcap", capture, "--uplink-address", Captures.Uplink, "--resolve", "other.example=192.0.2.10");

        Assert.Equal(2, code);
        Assert.Equal("error: --resolve: no rule of this snapshot names dsthost other.example", error.Trim());
        Assert.Equal("", output);
    }

    [Fact]
    public async Task verdicts_go_to_the_file_named_and_not_to_stdout()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "tofile.pcap"), Captures.WorkDay());
        var file = Path.Combine(policy.Folder, "verdicts.jsonl");

        var onStdout = await Replay(policy.V1, capture);
        var (code, output, _) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--pcap", capture, "--uplink-address", Captures.Uplink, "--dns", "10.139.1.1", "--verdicts", file);

        Assert.Equal((0, ""), (code, output));
        Assert.Equal(onStdout.Select(v => v.ToJsonString()),
            (await File.ReadAllLinesAsync(file)).Select(line => JsonNode.Parse(line)!.ToJsonString()));
    }

    [Fact]
    public async Task without_dns_resolvers_a_specialtarget_dns_rule_is_said_to_match_nothing()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "nodns.pcap"), Captures.WorkDay());

        var (without, _, warned) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", capture);
        var (with, _, quiet) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", capture,
            "--dns", "10.139.1.1");

        Assert.Equal((0, 0), (without, with));
        Assert.Contains("warning: 1 rule(s) use specialtarget=dns and no --dns resolver was given, so they match nothing", warned);
        Assert.DoesNotContain("specialtarget=dns", quiet);
    }

    [Theory]
    [InlineData("--uplink-address", "198.51.100.9", "--uplink-address: 10.139.0.1 and 198.51.100.9 are both IPv4")]
    [InlineData("--uplink-address", "10.139.0.1", "--uplink-address: 10.139.0.1 is given twice")]
    [InlineData("--dns", "ff02::fb", "--dns: ff02::fb is a multicast, broadcast, unspecified, link-local or IPv4-mapped address")]
    [InlineData("--dns", "fe80::1", "--dns: fe80::1 is a multicast, broadcast, unspecified, link-local or IPv4-mapped address")]
    [InlineData("--dns", "::ffff:10.139.1.1", "--dns: ::ffff:10.139.1.1 is a multicast, broadcast, unspecified, link-local or IPv4-mapped address")]
    [InlineData("--dns", "255.255.255.255", "--dns: 255.255.255.255 is a multicast, broadcast, unspecified, link-local or IPv4-mapped address")]
    [InlineData("--uplink-address", "fe80::1", "--uplink-address: fe80::1 is a multicast, broadcast, loopback, unspecified, link-local or IPv4-mapped address")]
    [InlineData("--uplink-address", "::", "--uplink-address: :: is a multicast")]
    [InlineData("--uplink-address", "ff02::1", "--uplink-address: ff02::1 is a multicast")]
    [InlineData("--uplink-address", "::ffff:198.51.100.9", "--uplink-address: ::ffff:198.51.100.9 is a multicast")]
    [InlineData("--max-flows", "0", "--max-flows: 0 is outside 1..16777216")]
    [InlineData("--max-flows", "16777217", "--max-flows: 16777217 is outside 1..16777216")]
    public async Task an_engine_flag_out_of_range_is_a_flag_error(string flag, string value, string expected)
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "flags.pcap"), Captures.WorkDay());

        var (code, output, error) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--pcap", capture, "--uplink-address", "10.139.0.1", flag, value);

        Assert.Equal(2, code);
        Assert.StartsWith("error: " + expected, error.Trim());
        Assert.Equal("", output);
    }

    [Fact]
    public async Task replay_reads_the_snapshot_from_the_control_plane_with_a_token()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "fromurl.pcap"), Captures.WorkDay());

        var verdicts = await Replay($"{policy.Host.Url}/policies/home/snapshots/2", capture, "--token", Lethe.TestSupport.Host.ControlPlaneHost.ViewerToken);

        Assert.Equal(6, verdicts.Length);
        Assert.All(verdicts, v => Assert.Equal(2, v["snapshot"]!.GetValue<int>()));
    }

    [Fact]
    public async Task out_dash_writes_the_forwarded_capture_to_stdout()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "tostdout.pcap"), Captures.WorkDay());
        var toFile = Path.Combine(policy.Folder, "tostdout-file.pcap");
        var toStdout = Path.Combine(policy.Folder, "tostdout-piped.pcap");
        string[] common = ["replay", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", capture, "--uplink-address", Captures.Uplink];

        var (fileCode, _, _) = await FirewallProcess.Run(false, [.. common, "--out", toFile, "--verdicts", Path.Combine(policy.Folder, "tostdout-1.jsonl")]);
        await using var piped = FirewallProcess.StartWithStdoutTo(toStdout, [.. common, "--out", "-", "--verdicts", Path.Combine(policy.Folder, "tostdout-2.jsonl")]);
        var pipedCode = await piped.Exit(TimeSpan.FromSeconds(60));

        Assert.Equal((0, 0), (fileCode, pipedCode));
        Assert.True(new FileInfo(toFile).Length > 24, "the capture holds forwarded packets after its header");
        Assert.Equal(await File.ReadAllBytesAsync(toFile), await File.ReadAllBytesAsync(toStdout));
    }

    [Theory]
    [InlineData("-")]
    [InlineData("/dev/stdout")] // stdout under a file's name: refused by what it is, not by its name
    public async Task out_to_stdout_with_the_verdicts_also_on_stdout_is_refused(string stdout)
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "bothstdout.pcap"), Captures.WorkDay());

        var (code, output, error) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--pcap", capture, "--out", stdout);

        Assert.Equal(2, code);
        Assert.Contains($"--out {stdout}: the forwarded capture and the verdicts would both go to stdout; give --verdicts FILE", error);
        Assert.Equal("", output);
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "-")), "no file named - is made");
    }

    [Fact]
    public async Task flow_tables_larger_than_the_memory_limit_are_a_flag_error_not_a_crash()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "toomany.pcap"), Captures.WorkDay());

        // A 64 MiB heap limit, as a container's memory limit sets one; 16,777,216 flows need several times that.
        await using var process = FirewallProcess.StartWithVariable("DOTNET_GCHeapHardLimit", "0x4000000", "replay",
            "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", capture, "--max-flows", "16777216");
        var code = await process.Exit(TimeSpan.FromSeconds(60));

        Assert.Equal(2, code);
        Assert.StartsWith("error: --max-flows 16777216: the flow tables do not fit in the memory this process may use (", process.Err.Trim());
        Assert.Equal("", process.Out);
    }

    [Fact]
    public async Task writing_over_the_capture_being_read_is_refused_and_the_capture_kept()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "keep.pcap"), Captures.WorkDay());
        var before = await File.ReadAllBytesAsync(capture);

        var (code, _, error) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--pcap", capture, "--out", capture);

        Assert.Equal(2, code);
        Assert.Contains("is the capture being read (--pcap)", error);
        Assert.Equal(before, await File.ReadAllBytesAsync(capture));
    }

    [Fact]
    public async Task one_file_for_both_the_forwarded_capture_and_the_verdicts_is_refused()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "both.pcap"), Captures.WorkDay());
        var target = Path.Combine(policy.Folder, "both-out");

        var (code, _, error) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--pcap", capture, "--out", target, "--verdicts", target);

        Assert.Equal(2, code);
        Assert.Contains($"--out and --verdicts both name {target}", error);
        Assert.False(File.Exists(target));
    }

    [Theory]
    [InlineData("--out")]
    [InlineData("--verdicts")]
    public async Task an_output_in_a_folder_that_does_not_exist_is_named_with_its_flag(string flag)
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, $"nowhere{flag}.pcap"), Captures.WorkDay());
        var target = Path.Combine(policy.Folder, "no-such-folder", "out");

        var (code, _, error) = await FirewallProcess.Run(false, "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--pcap", capture, flag, target);

        Assert.Equal(2, code);
        Assert.StartsWith($"error: {flag}: cannot write {target}: ", error);
    }
}
