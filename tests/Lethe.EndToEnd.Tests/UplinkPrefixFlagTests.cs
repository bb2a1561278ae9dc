using System.Text.Json.Nodes;
using Lethe.PacketPath.Tests;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// --uplink-address A/N in boot, replay and nft alike: the uplink's prefix length, refused with the same
/// words everywhere when it makes no sense, and what it changes where a user sees it (replay's verdicts,
/// nft's ruleset).
/// </summary>
public sealed class UplinkPrefixFlagTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    public static TheoryData<string, string, string> Refused()
    {
        var data = new TheoryData<string, string, string>();
        (string Value, string Expected)[] cases =
        [
            ("198.51.100.2/33", "--uplink-address: 198.51.100.2/33: the prefix length 33 is outside 0..32 for an IPv4 address"),
            ("2001:db8:1::2/129", "--uplink-address: 2001:db8:1::2/129: the prefix length 129 is outside 0..128 for an IPv6 address"),
            ("198.51.100.2/x", "--uplink-address: '198.51.100.2/x' has no prefix length after the '/'; give A or A/N, N a number of bits"),
            ("198.51.100.2/", "--uplink-address: '198.51.100.2/' has no prefix length after the '/'"),
            ("198.51.100.2/-1", "--uplink-address: '198.51.100.2/-1' has no prefix length after the '/'"),
            ("198.51.100.2/24/8", "--uplink-address: '198.51.100.2/24/8' has no prefix length after the '/'"),
            ("198.51.100.0/24", "--uplink-address: 198.51.100.0/24 is its prefix's network address; give a host's address in the prefix"),
            ("198.51.100.255/24", "--uplink-address: 198.51.100.255/24 is its prefix's broadcast address; give a host's address in the prefix"),
            ("2001:db8:1::/64", "--uplink-address: 2001:db8:1::/64 is its prefix's subnet-router anycast address; give a host's address in the prefix"),
            ("nonsense/24", "--uplink-address: 'nonsense' is not an IPv4 or IPv6 address"),
            ("224.0.0.1/24", "--uplink-address: 224.0.0.1/24 is a multicast, broadcast, loopback"),
            ("10.137.0.6/24", "--uplink-address: 10.137.0.6 is client personal's address in the snapshot"),
        ];
        foreach (var command in new[] { "boot", "replay", "nft" })
        {
            foreach (var (value, expected) in cases)
            {
                data.Add(command, value, expected);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task an_uplink_prefix_that_makes_no_sense_is_a_flag_error_in_every_command(string command, string value, string expected)
    {
        string[] extra = command == "replay" ? ["--pcap", Path.Combine(policy.Folder, "none.pcap")] : [];

        var (code, output, error) = await FirewallProcess.Run(false,
            [command, "--snapshot", policy.V1, "--trust", policy.PublicKey, "--uplink-address", value, .. extra]);

        Assert.Equal(2, code);
        Assert.StartsWith("error: " + expected, error.Trim());
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("198.51.100.1/31")]
    [InlineData("198.51.100.0/31")]
    [InlineData("198.51.100.1/32")]
    [InlineData("2001:db8:1::/127")]
    [InlineData("2001:db8:1::2/64")]
    public async Task a_host_address_with_its_prefix_is_taken(string value)
    {
        var (code, _, error) = await FirewallProcess.Run(false, "nft", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--uplink-address", value);

        Assert.True(code == 0, error);
    }

    [Fact]
    public async Task replay_names_a_clients_packet_to_the_uplink_subnets_broadcast_a_directed_broadcast_given_the_prefix()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "broadcast.pcap"),
        [
            Packets.Udp("10.137.0.5", "198.51.100.255", 40000, 137, payload: 20),
            Packets.Udp("10.137.0.5", "198.51.100.7", 40001, 137, payload: 20),
        ]);

        var with = await Reasons(capture, "198.51.100.1/24");
        var without = await Reasons(capture, "198.51.100.1");

        Assert.Equal("directed-broadcast", with[0]);
        Assert.NotEqual("directed-broadcast", with[1]);
        Assert.Equal(without[1], with[1]);
        Assert.Equal(without[1], without[0]);
    }

    [Fact]
    public async Task nft_drops_the_broadcast_and_refuses_the_anycast_of_the_prefixes_given()
    {
        var (code, output, error) = await FirewallProcess.Run(false, "nft", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--client-interface", "work=vif-work", "--uplink-address", "198.51.100.1/24", "--uplink-address", "2001:db8:ff::1/64");
        var (plainCode, plain, plainError) = await FirewallProcess.Run(false, "nft", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--client-interface", "work=vif-work", "--uplink-address", "198.51.100.1/32", "--uplink-address", "2001:db8:ff::1");

        Assert.True(code == 0, error);
        Assert.True(plainCode == 0, plainError);
        Assert.Contains("iifname \"vif-work\" ip daddr 198.51.100.255 counter drop comment \"directed broadcast\"", output);
        Assert.Contains("iifname \"vif-work\" ip6 daddr 2001:db8:ff:: counter reject with icmpx admin-prohibited comment \"addressed to the firewall\"", output);
        Assert.DoesNotContain("198.51.100.255", plain);
        Assert.DoesNotContain("2001:db8:ff:: ", plain);
    }

    private async Task<string[]> Reasons(string capture, string uplink)
    {
        var (code, output, error) = await FirewallProcess.Run(false,
            "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", capture, "--uplink-address", uplink);
        Assert.True(code == 0, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!["reason"]!.GetValue<string>()).ToArray();
    }
}
