using Lethe.PacketPath.Tests;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// Replay's verdict line says what boot would answer a dropped packet with: whether the sender learns
/// at once (admin-prohibited, a reset, packet too big) or waits, which --silent-drop and reject decide.
/// </summary>
public sealed class ReplayAnswerTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    private async Task<(string Verdicts, byte[] Out)> Replay(string capture, string name, params string[] extra)
    {
        var verdicts = Path.Combine(policy.Folder, name + ".jsonl");
        var outPcap = Path.Combine(policy.Folder, name + "-out.pcap");
        var (code, _, error) = await FirewallProcess.Run(false,
            ["replay", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", capture, "--uplink-address", Captures.Uplink,
             "--dns", "10.139.1.1", "--verdicts", verdicts, "--out", outPcap, .. extra]);
        Assert.True(code == 0, error);
        return (await File.ReadAllTextAsync(verdicts), await File.ReadAllBytesAsync(outPcap));
    }

    [Fact]
    public async Task a_refused_connection_is_reported_with_the_answer_boot_sends_and_without_it_under_silent_drop()
    {
        // work's ssh SYN meets "action=drop": boot answers it with administratively prohibited, boot --silent-drop does not.
        var capture = Captures.Write(Path.Combine(policy.Folder, "refused-ssh.pcap"),
            [Packets.Tcp("10.137.0.5", "192.0.2.10", 40002, 22, TcpFlags.Syn)]);

        var answered = await Replay(capture, "answered");
        var silent = await Replay(capture, "silent", "--silent-drop");

        Assert.Contains("\"reason\":\"rule-drop\",\"answer\":\"admin-prohibited\"", answered.Verdicts);
        Assert.Contains("\"reason\":\"rule-drop\"", silent.Verdicts);
        Assert.DoesNotContain("answer", silent.Verdicts);
    }

    [Fact]
    public async Task a_packet_over_the_mtu_is_reported_with_the_fragmentation_needed_answer_and_its_mtu()
    {
        // README: fragmentation needed / packet too big carry "the MTU of the device the packet would leave by; 1500 in replay".
        var capture = Captures.Write(Path.Combine(policy.Folder, "too-big.pcap"),
            [Packets.Udp("10.137.0.5", "10.139.1.1", 5353, 53, payload: 1600, dontFragment: true)]);

        var (verdicts, _) = await Replay(capture, "too-big");

        Assert.Contains("\"reason\":\"too-big\",\"answer\":\"fragmentation-needed\",\"mtu\":1500", verdicts);
    }

    [Fact]
    public async Task a_packet_over_the_mtu_without_df_is_accepted_and_goes_to_out_in_fragments_of_1500_as_boot_sends_it()
    {
        var sent = Packets.Udp("10.137.0.5", "10.139.1.1", 5353, 53, payload: 3000, identification: 0x5151);
        var capture = Captures.Write(Path.Combine(policy.Folder, "fragmented.pcap"), [sent]);

        var (verdicts, _) = await Replay(capture, "fragmented");
        var fragments = Captures.Read(Path.Combine(policy.Folder, "fragmented-out.pcap"));

        Assert.Contains("\"verdict\":\"accept\"", verdicts);
        Assert.DoesNotContain("answer", verdicts);
        Assert.Equal([1500, 1500, 68], fragments.Select(f => f.Length));
        Assert.All(fragments, f => Assert.True(Ipv4Packet.TryParse(f, out var ip, out _) && ip.VerifyHeaderChecksum() && ip.Identification == 0x5151));
        var whole = Packets.Reassemble(fragments);
        Assert.Equal(sent[28..], whole[28..]);
        Assert.Equal(sent.Length, whole.Length);
    }

    [Fact]
    public async Task ipv4_options_linux_refuses_are_reported_with_the_parameter_problem_and_the_octet_it_points_at()
    {
        // A router alert two bytes long: Linux, and boot, answer with a parameter problem pointing at its length (byte 21), even under --silent-drop.
        var capture = Captures.Write(Path.Combine(policy.Folder, "bad-options.pcap"),
            [Packets.Udp("10.137.0.5", "10.139.1.1", 5353, 53, payload: 20, ipv4Options: [148, 2, 1, 0])]);

        var (verdicts, _) = await Replay(capture, "bad-options", "--silent-drop");

        Assert.Contains("\"client\":\"work\"", verdicts);
        Assert.Contains("\"reason\":\"bad-header-length\",\"answer\":\"parameter-problem\",\"pointer\":21", verdicts);
    }
}
