namespace Lethe.EndToEnd.Tests.Nft;

/// <summary>`lethe-firewall nft` as operators and the throughput harness run it, on snapshots the real control plane sealed.</summary>
public sealed class NftCommandTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Fact]
    public async Task nft_prints_the_table_for_a_verified_snapshot()
    {
        var (code, output, error) = await FirewallProcess.Run(false, "nft", "--snapshot", policy.V1, "--trust", policy.PublicKey);

        Assert.True(code == 0, error);
        Assert.Contains("table inet lethe {}\ndelete table inet lethe\n", output);
        Assert.Contains("chain client_work {", output);
        Assert.Contains("chain client_personal {", output);
        Assert.Contains("from policy home version 1", output);
        Assert.Contains($"ip daddr 192.0.2.0/24 tcp dport 443 counter accept comment \"{policy.HttpsRule}\"", output);
    }

    [Fact]
    public async Task a_name_given_as_resolved_to_nothing_matches_nothing_rather_than_being_unresolved()
    {
        var (code, output, error) = await FirewallProcess.Run(false, "nft", "--snapshot", policy.NamedV1, "--trust", policy.PublicKey,
            "--resolve", "lab.example=");

        Assert.True(code == 0, error);
        Assert.Contains($"# {policy.NamedRule}: matches nothing here", output);
        Assert.DoesNotContain("is unresolved", output);
    }

    [Fact]
    public async Task nft_renders_each_version_with_its_rules_and_the_flags_given()
    {
        var (code, output, error) = await FirewallProcess.Run(false, "nft", "--snapshot", policy.V2, "--trust", policy.PublicKey,
            "--uplink-interface", "eth0", "--client-interface", "work=vif-work", "--client-interface", "personal=vif-personal",
            "--uplink-address", "192.0.2.1", "--dns", "10.139.1.1", "--silent-drop");

        Assert.True(code == 0, error);
        Assert.Contains($"ip daddr 192.0.2.0/24 tcp dport 80-443 counter accept comment \"{policy.HttpsRule}\"", output);
        Assert.Contains("ip daddr 10.139.1.1 udp dport 53 counter accept comment", output);
        Assert.Contains("iifname \"vif-work\" ip saddr != 10.137.0.5 counter drop", output);
        Assert.Contains("ct state new iifname \"vif-personal\" jump client_personal", output);
        Assert.Contains("oifname \"eth0\" meta nfproto ipv4 counter snat ip to 192.0.2.1", output);
        Assert.DoesNotContain("admin-prohibited", output);
        if (NftCheck.Binary is { } nft)
        {
            var (checkCode, checkError) = await NftCheck.Check(nft, output);
            Assert.True(checkCode == 0, $"nft -c refused the ruleset:\n{checkError}\n{output}");
        }
    }

    [Fact]
    public async Task nft_refuses_a_tampered_snapshot()
    {
        var tampered = Path.Combine(policy.Folder, "nft-tampered.json");
        var text = await File.ReadAllTextAsync(policy.V1);
        var content = text.IndexOf("\"content\":\"", StringComparison.Ordinal) + 20;
        var flipped = text[content] == 'A' ? 'B' : 'A';
        await File.WriteAllTextAsync(tampered, text[..content] + flipped + text[(content + 1)..]);

        var (code, output, error) = await FirewallProcess.Run(false, "nft", "--snapshot", tampered, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains("refusing the snapshot", error);
        Assert.DoesNotContain("table", output);
    }

    [Fact]
    public async Task the_standing_command_line_still_renders_a_version_without_a_client_or_a_name_it_names()
    {
        // GuestV2 has client work only and no dsthost rule: home after `lethe client remove home personal`, say.
        var (code, output, error) = await FirewallProcess.Run(false, "nft", "--snapshot", policy.GuestV2, "--trust", policy.PublicKey,
            "--client-interface", "work=vif-work", "--client-interface", "personal=vif-personal", "--resolve", "lab.example=192.0.2.7");

        Assert.True(code == 0, error);
        Assert.Contains("chain client_work {", output);
        Assert.DoesNotContain("vif-personal", output);
        Assert.Contains("warning: --client-interface: the snapshot has no client named personal (clients: work); vif-personal carries no client in this ruleset", error);
        Assert.Contains("warning: --resolve: no rule of this snapshot names dsthost lab.example; its answer is not used", error);
    }

    [Fact]
    public async Task nft_refuses_a_time_before_1970()
    {
        var (code, output, error) = await FirewallProcess.Run(false, "nft", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--now", "-5");

        Assert.Equal(2, code);
        Assert.Contains("--now: -5 is before 1970", error);
        Assert.Equal("", output);
    }

    [Fact]
    public Task nft_refuses_a_time_before_1970_before_it_reads_the_snapshot() =>
        FirewallProcess.AssertRefusedBeforeTheSnapshot(policy.Folder, "nft", "--now: -5 is before 1970", "--now", "-5");

    [Theory]
    [InlineData("--uplink-address", "198.51.100.0/24", "--uplink-address: 198.51.100.0/24 is its prefix's network address")]
    [InlineData("--dns", "0.0.0.0", "--dns: 0.0.0.0 is a multicast, broadcast, unspecified")]
    [InlineData("--client-interface", "work", "--client-interface: 'work' is not CLIENT=IFNAME")]
    [InlineData("--client-interface", "work=eth:0", "--client-interface work: 'eth:0' is not an interface name")]
    [InlineData("--client-interface", "work=vif\\0", "is not an interface name (1 to 15 characters, no quote, backslash, slash")]
    [InlineData("--uplink-interface", "default", "--uplink-interface: 'default' is not an interface name")]
    [InlineData("--resolve", "updates.example=198.51.100.256", "--resolve: '198.51.100.256' is not an IPv4 or IPv6 address")]
    public Task nft_refuses_a_flag_malformed_on_its_own_before_it_reads_the_snapshot(string flag, string value, string expected) =>
        FirewallProcess.AssertRefusedBeforeTheSnapshot(policy.Folder, "nft", expected, flag, value);

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:192.0.2.1")]
    public async Task nft_refuses_an_uplink_address_replies_could_never_reach_as_boot_does(string address)
    {
        var (code, output, error) = await FirewallProcess.Run(false, "nft", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--uplink-address", address);

        Assert.Equal(2, code);
        Assert.Contains($"--uplink-address: {address} is a multicast, broadcast, loopback", error);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("--uplink-address", "198.51.100.9", "--uplink-address: 198.51.100.9 is given twice")]
    [InlineData("--uplink-address", "198.51.100.10", "--uplink-address: 198.51.100.9 and 198.51.100.10 are both IPv4")]
    [InlineData("--dns", "224.0.0.251", "--dns: 224.0.0.251 is a multicast, broadcast, unspecified, link-local or IPv4-mapped address")]
    [InlineData("--dns", "::", "--dns: :: is a multicast, broadcast, unspecified, link-local or IPv4-mapped address")]
    public async Task nft_refuses_address_flags_as_boot_and_replay_do(string flag, string value, string expected)
    {
        var (code, output, error) = await FirewallProcess.Run(false, "nft", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--uplink-address", "198.51.100.9", flag, value);

        Assert.Equal(2, code);
        Assert.StartsWith("error: " + expected, error.Trim());
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("nft")]
    [InlineData("boot")]
    [InlineData("replay")]
    public async Task an_uplink_address_that_is_a_clients_is_refused_naming_the_client(string command)
    {
        string[] extra = command == "replay" ? ["--pcap", Path.Combine(policy.Folder, "none.pcap")] : [];

        var (code, output, error) = await FirewallProcess.Run(false,
            [command, "--snapshot", policy.V1, "--trust", policy.PublicKey, "--uplink-address", "10.137.0.6", .. extra]);

        Assert.Equal(2, code);
        Assert.StartsWith("error: --uplink-address: 10.137.0.6 is client personal's address in the snapshot", error.Trim());
        Assert.Equal("", output);
    }

    [Fact]
    public async Task nft_help_says_that_without_an_uplink_address_both_families_are_masqueraded()
    {
        var (code, output, _) = await FirewallProcess.Run(false, "nft", "--help");

        Assert.Equal(0, code);
        Assert.Contains("both families are masqueraded", output);
        Assert.DoesNotContain("a family without one is routed untranslated", output);
    }
}
