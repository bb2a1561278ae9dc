using System.Net;
using Lethe.Firewall;
using Lethe.Firewall.Nft;
using static Lethe.EndToEnd.Tests.Nft.NftScripts;

namespace Lethe.EndToEnd.Tests.Nft;

public sealed class NftRendererTests
{
    private const string Prohibited = "reject with icmpx admin-prohibited";

    private const string NeverForwarded4 = "ip daddr { 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 255.255.255.255 } counter drop comment \"never forwarded\"";

    private const string NeverForwarded6 = "ip6 daddr { ::, ::1, ::ffff:0:0/96, fe80::/10, ff00::/8 } counter drop comment \"never forwarded\"";

    private const string LinkLocalSource4 = "ip saddr 169.254.0.0/16 counter drop comment \"never forwarded\"";

    private const string NeverSource6 = "ip6 saddr { ::ffff:0:0/96, fe80::/10 } counter drop comment \"never forwarded\"";

    private static string Render(Lethe.Domain.Snapshots.SnapshotContent content, NftOptions? options = null) =>
        NftRenderer.Render(content, options ?? new NftOptions { NowUnix = Now });

    [Fact]
    public void the_script_replaces_table_inet_lethe_in_one_load()
    {
        var script = Render(Work("action=accept"));

        var lines = script.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        Assert.Equal(["table inet lethe {}", "delete table inet lethe", "table inet lethe {"], lines[..3]);
        Assert.Equal("}", lines[^1]);
        Assert.Contains("type filter hook forward priority filter; policy drop;", script);
        Assert.Contains("type nat hook postrouting priority srcnat; policy accept;", script);
    }

    [Fact]
    public void forward_accepts_tracked_flows_and_sends_new_ones_to_the_client_chain_by_source()
    {
        var script = Render(Policy(("work", ["10.137.0.5", "fd00:137::5"], []), ("personal", ["10.137.0.6"], [])));

        Assert.Equal(
        [
            "type filter hook forward priority filter; policy drop;",
            NeverForwarded4,
            NeverForwarded6,
            LinkLocalSource4,
            NeverSource6,
            "ip saddr 10.137.0.5 ct state related ct original ip saddr != 10.137.0.5 ct reply ip saddr != 10.137.0.5 counter drop comment \"error from work about a flow not its own\"",
            "ip6 saddr fd00:137::5 ct state related ct original ip6 saddr != fd00:137::5 ct reply ip6 saddr != fd00:137::5 counter drop comment \"error from work about a flow not its own\"",
            "ip saddr 10.137.0.6 ct state related ct original ip saddr != 10.137.0.6 ct reply ip saddr != 10.137.0.6 counter drop comment \"error from personal about a flow not its own\"",
            "ip saddr != { 10.137.0.5, 10.137.0.6 } ct state related ct direction original counter drop comment \"error from outside the clients about a flow not going out\"",
            "ip saddr != { 10.137.0.5, 10.137.0.6 } ct state related ct original ip daddr { 10.137.0.5, 10.137.0.6 } counter drop comment \"error from outside the clients about a flow between clients\"",
            "ip6 saddr != fd00:137::5 ct state related ct direction original counter drop comment \"error from outside the clients about a flow not going out\"",
            "ip6 saddr != fd00:137::5 ct state related ct original ip6 daddr fd00:137::5 counter drop comment \"error from outside the clients about a flow between clients\"",
            "ct state established,related accept comment \"tracked flows\"",
            "ct state new ip saddr 10.137.0.5 jump client_work comment \"work\"",
            "ct state new ip6 saddr fd00:137::5 jump client_work comment \"work\"",
            "ct state new ip saddr 10.137.0.6 jump client_personal comment \"personal\"",
        ], Chain(script, "forward"));
    }

    [Fact]
    public void with_interfaces_origin_checks_come_before_tracked_flows_and_clients_are_found_by_interface()
    {
        var script = Render(Policy(("work", ["10.137.0.5", "10.137.0.15", "fd00:137::5"], []), ("personal", ["10.137.0.6"], [])),
            new NftOptions
            {
                NowUnix = Now,
                UplinkInterface = "eth0",
                ClientInterfaces = new Dictionary<string, IReadOnlyList<string>> { ["work"] = ["vif-work"], ["personal"] = ["vif-p1", "vif-p2"] },
            });

        Assert.Equal(
        [
            "type filter hook forward priority filter; policy drop;",
            "iifname \"vif-work\" ip saddr != { 10.137.0.5, 10.137.0.15 } counter drop comment \"spoofed source from work\"",
            "iifname \"vif-work\" ip6 saddr != fd00:137::5 counter drop comment \"spoofed source from work\"",
            "iifname { \"vif-p1\", \"vif-p2\" } ip saddr != 10.137.0.6 counter drop comment \"spoofed source from personal\"",
            "iifname { \"vif-p1\", \"vif-p2\" } meta nfproto ipv6 counter drop comment \"spoofed source from personal\"",
            "iifname \"eth0\" ip saddr { 10.137.0.5, 10.137.0.15, 10.137.0.6 } counter drop comment \"client source on the uplink\"",
            "iifname \"eth0\" ip6 saddr fd00:137::5 counter drop comment \"client source on the uplink\"",
            NeverForwarded4,
            NeverForwarded6,
            LinkLocalSource4,
            NeverSource6,
            "iifname \"vif-work\" ct state related ct original ip saddr != { 10.137.0.5, 10.137.0.15 } ct reply ip saddr != { 10.137.0.5, 10.137.0.15 } counter drop comment \"error from work about a flow not its own\"",
            "iifname \"vif-work\" ct state related ct original ip6 saddr != fd00:137::5 ct reply ip6 saddr != fd00:137::5 counter drop comment \"error from work about a flow not its own\"",
            "iifname { \"vif-p1\", \"vif-p2\" } ct state related ct original ip saddr != 10.137.0.6 ct reply ip saddr != 10.137.0.6 counter drop comment \"error from personal about a flow not its own\"",
            "iifname { \"vif-p1\", \"vif-p2\" } ct state related meta nfproto ipv6 counter drop comment \"error from personal about a flow not its own\"",
            "iifname \"eth0\" ct state related ct direction original counter drop comment \"error from the uplink about a flow not going out\"",
            "iifname \"eth0\" ct state related ct original ip daddr { 10.137.0.5, 10.137.0.15, 10.137.0.6 } counter drop comment \"error from the uplink about a flow between clients\"",
            "iifname \"eth0\" ct state related ct original ip6 daddr fd00:137::5 counter drop comment \"error from the uplink about a flow between clients\"",
            "ct state established,related accept comment \"tracked flows\"",
            "ct state new iifname \"vif-work\" jump client_work comment \"work\"",
            "ct state new iifname { \"vif-p1\", \"vif-p2\" } jump client_personal comment \"personal\"",
        ], Chain(script, "forward"));
    }

    [Theory]
    [InlineData("::ffff:0:102:304", "::ffff:0:102:304")]
    [InlineData("::ffff:1.2.3.4", "::ffff:102:304")]
    [InlineData("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1")]
    [InlineData("2001:0:0:1:0:0:0:1", "2001:0:0:1::1")]
    public void ipv6_addresses_are_written_in_hex_groups_which_nft_reads(string dst6, string written)
    {
        // .NET writes ::ffff:0:1.2.3.4 for the first, which nft refuses, and with it the whole ruleset.
        var script = Render(Work($"action=drop dst6={dst6}/128 proto=tcp"));

        Assert.Contains($"ip6 daddr {written} meta l4proto tcp", script);
    }

    [Fact]
    public void an_expiring_unresolved_drop_blocks_only_until_it_expires()
    {
        var script = Render(Work($"action=drop expire={Now + 100} dsthost=z.example"));

        var block = script.IndexOf($"meta time < {Now + 100} counter {Prohibited} comment \"r1\"", StringComparison.Ordinal);
        var said = script.IndexOf("# r1 expires at ", StringComparison.Ordinal);
        Assert.True(said >= 0 && said < block, $"the block of r1 does not end when r1 expires:\n{script}");
    }

    [Fact]
    public void an_address_two_clients_list_belongs_to_the_first_as_in_lethe()
    {
        var script = Render(Policy(("a", ["10.137.0.5"], []), ("b", ["10.137.0.5", "10.137.0.7"], [])),
            new NftOptions { NowUnix = Now, ClientInterfaces = new Dictionary<string, IReadOnlyList<string>> { ["b"] = ["vif-b"] } });

        Assert.Contains("iifname \"vif-b\" ip saddr != 10.137.0.7 counter drop comment \"spoofed source from b\"", Chain(script, "forward"));
    }

    [Fact]
    public void dst4_and_tcp_ports_become_ip_daddr_and_tcp_dport()
    {
        var script = Render(Work(
            "action=accept dst4=192.0.2.0/24 proto=tcp dstports=80-443",
            "action=accept dst4=192.0.2.9 proto=udp dstports=53-53",
            "action=accept dst4=10.1.2.3/8 proto=tcp"));

        Assert.Equal(
        [
            "ip daddr 192.0.2.0/24 tcp dport 80-443 counter accept comment \"r1\"",
            "ip daddr 192.0.2.9 udp dport 53 counter accept comment \"r2\"",
            "ip daddr 10.0.0.0/8 meta l4proto tcp counter accept comment \"r3\"",
        ], Rules(script));
    }

    [Fact]
    public void dst6_becomes_ip6_daddr_and_never_an_ipv4_rule()
    {
        var script = Render(Work("action=drop dst6=2a00:1450:4000::/37 proto=tcp", "action=accept dst6=2001:db8::1 proto=icmp icmptype=128"));

        Assert.Equal(
        [
            $"ip6 daddr 2a00:1450:4000::/37 meta l4proto tcp counter {Prohibited} comment \"r1\"",
            "ip6 daddr 2001:db8::1 meta l4proto ipv6-icmp icmpv6 type 128 counter accept comment \"r2\"",
        ], Rules(script));
    }

    [Fact]
    public void icmp_without_a_destination_is_one_rule_per_family()
    {
        var script = Render(Work("action=accept proto=icmp icmptype=8", "action=drop proto=icmp"));

        Assert.Equal(
        [
            "meta nfproto ipv4 meta l4proto icmp icmp type 8 counter accept comment \"r1\"",
            "meta nfproto ipv6 meta l4proto ipv6-icmp icmpv6 type 8 counter accept comment \"r1\"",
            $"meta nfproto ipv4 meta l4proto icmp counter {Prohibited} comment \"r2\"",
            $"meta nfproto ipv6 meta l4proto ipv6-icmp counter {Prohibited} comment \"r2\"",
        ], Rules(script));
    }

    [Fact]
    public void a_rule_without_destination_or_icmp_is_one_rule_for_both_families()
    {
        var script = Render(Work("action=accept proto=tcp dstports=443", "action=drop proto=udp", "action=accept"));

        Assert.Equal(
        [
            "tcp dport 443 counter accept comment \"r1\"",
            $"meta l4proto udp counter {Prohibited} comment \"r2\"",
            "counter accept comment \"r3\"",
        ], Rules(script));
    }

    [Fact]
    public void specialtarget_dns_is_the_resolvers_on_tcp_and_udp_port_53()
    {
        var options = new NftOptions { NowUnix = Now, DnsResolvers = [IPAddress.Parse("10.139.1.1"), IPAddress.Parse("10.139.1.2"), IPAddress.Parse("fd00:139::1")] };

        var script = Render(Work("action=accept specialtarget=dns", "action=drop proto=tcp specialtarget=dns", "action=accept dst4=10.139.1.2 proto=udp specialtarget=dns"), options);

        Assert.Equal(
        [
            "ip daddr { 10.139.1.1, 10.139.1.2 } tcp dport 53 counter accept comment \"r1\"",
            "ip daddr { 10.139.1.1, 10.139.1.2 } udp dport 53 counter accept comment \"r1\"",
            "ip6 daddr fd00:139::1 tcp dport 53 counter accept comment \"r1\"",
            "ip6 daddr fd00:139::1 udp dport 53 counter accept comment \"r1\"",
            $"ip daddr {{ 10.139.1.1, 10.139.1.2 }} tcp dport 53 counter {Prohibited} comment \"r2\"",
            $"ip6 daddr fd00:139::1 tcp dport 53 counter {Prohibited} comment \"r2\"",
            "ip daddr 10.139.1.2 udp dport 53 counter accept comment \"r3\"",
        ], Rules(script));
    }

    [Fact]
    public void specialtarget_dns_without_resolvers_matches_nothing_and_says_so()
    {
        var script = Render(Work("action=accept specialtarget=dns"));

        Assert.Empty(Rules(script));
        Assert.Contains(Comments(script, "client_work"), c => c.StartsWith("# r1: matches nothing here: specialtarget=dns, and no --dns resolver", StringComparison.Ordinal));
    }

    [Fact]
    public void dsthost_becomes_its_resolved_addresses_per_family()
    {
        var options = new NftOptions
        {
            NowUnix = Now,
            ResolvedHosts = Answers(("example.org", ["198.51.100.7", "198.51.100.8", "2001:db8::7"]), ("v4only.example", ["203.0.113.9"])),
        };

        var script = Render(Work("action=accept dsthost=example.org proto=tcp dstports=443", "action=drop dsthost=v4only.example"), options);

        Assert.Equal(
        [
            "ip daddr { 198.51.100.7, 198.51.100.8 } tcp dport 443 counter accept comment \"r1\"",
            "ip6 daddr 2001:db8::7 tcp dport 443 counter accept comment \"r1\"",
            $"ip daddr 203.0.113.9 counter {Prohibited} comment \"r2\"",
        ], Rules(script));
    }

    [Fact]
    public void an_unresolved_dsthost_accept_matches_nothing()
    {
        var script = Render(Work("action=accept dsthost=nowhere.example", "action=accept proto=tcp"));

        Assert.Equal(["meta l4proto tcp counter accept comment \"r2\""], Rules(script));
        Assert.Contains(Comments(script, "client_work"), c => c.Contains("r1: dsthost nowhere.example is unresolved", StringComparison.Ordinal));
    }

    [Fact]
    public void an_unresolved_dsthost_drop_blocks_the_whole_client_from_the_top_of_its_chain()
    {
        var script = Render(Work("action=accept proto=tcp dstports=443", "action=drop dsthost=nowhere.example", "action=reject dsthost=gone.example proto=udp"));

        Assert.Equal(
        [
            $"counter {Prohibited} comment \"r2\"",
            $"counter {Prohibited} comment \"r3\"",
            "tcp dport 443 counter accept comment \"r1\"",
        ], Rules(script));
    }

    [Fact]
    public void an_expired_unresolved_drop_blocks_nothing()
    {
        var script = Render(Work($"action=drop expire={Now - 1} dsthost=nowhere.example", "action=accept"));

        Assert.Equal(["counter accept comment \"r2\""], Rules(script));
    }

    [Fact]
    public void expired_rules_are_left_out_and_later_ones_match_until_their_time()
    {
        var script = Render(Work($"action=accept expire={Now} proto=tcp", $"action=accept expire={Now + 3600} proto=udp"));

        Assert.Equal([$"meta l4proto udp meta time < {Now + 3600} counter accept comment \"r2\""], Rules(script));
        var comments = Comments(script, "client_work");
        Assert.Contains(comments, c => c.StartsWith("# r1: expired at 2027-01-15T08:00:00Z: left out", StringComparison.Ordinal));
        Assert.Contains(comments, c => c.StartsWith("# r2: expires at 2027-01-15T09:00:00Z (meta time, the kernel's clock)", StringComparison.Ordinal));
        Assert.Contains("# Rendered by `lethe-firewall nft`, as of 2027-01-15T08:00:00Z.", script);
    }

    [Theory]
    [InlineData(18_446_744_074L)]
    [InlineData(20_000_000_000L)]
    [InlineData(253_402_300_799L)]
    public void a_rule_expiring_where_meta_time_cannot_reach_matches_without_it_as_nft_would_wrap_the_time(long expire)
    {
        var script = Render(Work($"action=drop expire={expire} dsthost=far.example", $"action=drop expire={expire} proto=tcp"));

        Assert.Equal([$"counter {Prohibited} comment \"r1\"", $"meta l4proto tcp counter {Prohibited} comment \"r2\""], Rules(script));
        Assert.Contains(Comments(script, "client_work"), c => c.StartsWith("# r2: expires at ", StringComparison.Ordinal)
            && c.Contains("past what meta time, the kernel's clock, holds", StringComparison.Ordinal));
    }

    [Fact]
    public void the_last_expire_meta_time_can_hold_is_still_matched_by_it()
    {
        var script = Render(Work("action=drop expire=18446744073 proto=tcp"));

        Assert.Equal([$"meta l4proto tcp meta time < 18446744073 counter {Prohibited} comment \"r1\""], Rules(script));
    }

    [Fact]
    public void drop_answers_admin_prohibited_unless_silent()
    {
        var loud = Render(Work("action=drop dst4=192.0.2.0/24"));
        var silent = Render(Work("action=drop dst4=192.0.2.0/24"), new NftOptions { NowUnix = Now, SilentDrop = true });

        Assert.Equal([$"ip daddr 192.0.2.0/24 counter {Prohibited} comment \"r1\"", $"counter {Prohibited} comment \"default drop\""], Chain(loud, "client_work"));
        Assert.Equal(["ip daddr 192.0.2.0/24 counter drop comment \"r1\"", "counter drop comment \"default drop\""], Chain(silent, "client_work"));
    }

    [Fact]
    public void reject_resets_tcp_and_answers_admin_prohibited_otherwise_even_when_silent()
    {
        var script = Render(Work("action=reject proto=tcp dstports=22", "action=reject dst4=192.0.2.0/24 proto=udp", "action=reject dst6=2001:db8::/32"),
            new NftOptions { NowUnix = Now, SilentDrop = true });

        Assert.Equal(
        [
            "tcp dport 22 counter reject with tcp reset comment \"r1\"",
            $"ip daddr 192.0.2.0/24 meta l4proto udp counter {Prohibited} comment \"r2\"",
            "ip6 daddr 2001:db8::/32 meta l4proto tcp counter reject with tcp reset comment \"r3\"",
            $"ip6 daddr 2001:db8::/32 counter {Prohibited} comment \"r3\"",
        ], Rules(script));
    }

    [Fact]
    public void an_accept_without_dst4_or_dst6_excludes_the_other_clients_through_a_set_of_every_clients_addresses_and_keeps_its_own()
    {
        var script = Render(Policy(
            ("work", ["10.137.0.5", "fd00:137::5"],
            [
                ("open-lab", "action=accept dst4=10.137.0.0/24 proto=tcp dstports=22"),
                ("no-smb", "action=drop proto=tcp dstports=445"),
                ("web", "action=accept proto=tcp dstports=443"),
                ("all", "action=accept"),
            ]),
            ("personal", ["10.137.0.6", "10.137.0.7"], []),
            ("vault", ["10.137.0.9", "fd00:137::9"], [])));

        Assert.Equal(
        [
            "ip daddr 10.137.0.0/24 tcp dport 22 counter accept comment \"open-lab\"",
            $"tcp dport 445 counter {Prohibited} comment \"no-smb\"",
            "ip daddr != @clients4 tcp dport 443 counter accept comment \"web\"",
            "ip daddr 10.137.0.5 tcp dport 443 counter accept comment \"web\"",
            "ip6 daddr != @clients6 tcp dport 443 counter accept comment \"web\"",
            "ip6 daddr fd00:137::5 tcp dport 443 counter accept comment \"web\"",
            "ip daddr != @clients4 counter accept comment \"all\"",
            "ip daddr 10.137.0.5 counter accept comment \"all\"",
            "ip6 daddr != @clients6 counter accept comment \"all\"",
            "ip6 daddr fd00:137::5 counter accept comment \"all\"",
        ], Rules(script));
        Assert.Equal(new Dictionary<string, string[]>
        {
            ["clients4"] = ["10.137.0.5", "10.137.0.6", "10.137.0.7", "10.137.0.9"],
            ["clients6"] = ["fd00:137::5", "fd00:137::9"],
        }, Sets(script));
        // The other clients have no catch-all accept, and a client alone needs no exclusion.
        Assert.DoesNotContain("Isolation:", string.Join('\n', Comments(script, "client_personal")));
        Assert.Equal(["counter accept comment \"r1\""], Rules(Render(Work("action=accept"))));
    }

    [Fact]
    public void an_exclusion_covers_only_the_family_that_has_other_clients()
    {
        var script = Render(Policy(("work", ["10.137.0.5"], [("all", "action=accept proto=icmp")]), ("personal", ["10.137.0.6"], [])));

        Assert.Equal(
        [
            "ip daddr != @clients4 meta l4proto icmp counter accept comment \"all\"",
            "ip daddr 10.137.0.5 meta l4proto icmp counter accept comment \"all\"",
            "meta nfproto ipv6 meta l4proto ipv6-icmp counter accept comment \"all\"",
        ], Rules(script));
        Assert.Equal(["clients4"], Sets(script).Keys);
    }

    [Fact]
    public void an_address_two_clients_list_is_another_clients_for_each_of_them_as_in_lethe()
    {
        // Lethe's isolation asks whether a client other than the sender lists the destination.
        var content = Policy(
            ("work", ["10.137.0.5", "10.137.0.50"], [("all", "action=accept")]),
            ("personal", ["10.137.0.6", "10.137.0.50"], [("all-p", "action=accept")]));
        var script = Render(content);

        Assert.Equal(
        [
            "ip daddr != @clients4 counter accept comment \"all\"",
            "ip daddr 10.137.0.5 counter accept comment \"all\"",
            "meta nfproto ipv6 counter accept comment \"all\"",
        ], Rules(script));
        var model = Lethe.Domain.Snapshots.SnapshotCodec.ToModel(content);
        var environment = new Lethe.Domain.Evaluation.EvaluationEnvironment(Now, [], new Dictionary<string, IReadOnlyList<IPAddress>>());
        foreach (var client in new[] { "work", "personal" })
        {
            foreach (var target in new[] { "10.137.0.5", "10.137.0.6", "10.137.0.50", "192.0.2.1" })
            {
                var flow = new Lethe.Domain.Evaluation.FlowQuery(IPAddress.Parse(target), Lethe.Domain.Evaluation.FlowQuery.Udp, 53);
                var expected = Lethe.Domain.Evaluation.ReferenceEvaluator.Evaluate(model, client, flow, environment).RuleId ?? "default drop";
                Assert.Equal((client, target, expected), (client, target, Run(Chain(script, "client_" + client), flow, sets: Sets(script)).Comment));
            }
        }
    }

    [Fact]
    public void a_dsthost_or_dns_accept_leaves_other_clients_addresses_out_of_its_set()
    {
        var options = new NftOptions
        {
            NowUnix = Now,
            DnsResolvers = [IPAddress.Parse("10.137.0.6")],
            ResolvedHosts = Answers(("mixed.example", ["10.137.0.6", "198.51.100.7"]), ("peer.example", ["10.137.0.6"])),
        };

        var script = Render(Policy(
            ("work", ["10.137.0.5"],
            [
                ("mixed", "action=accept dsthost=mixed.example"),
                ("peer", "action=accept dsthost=peer.example"),
                ("dns", "action=accept specialtarget=dns"),
                ("peer-drop", "action=drop dsthost=peer.example"),
            ]),
            ("personal", ["10.137.0.6"], [])), options);

        Assert.Equal(
        [
            "ip daddr 198.51.100.7 counter accept comment \"mixed\"",
            $"ip daddr 10.137.0.6 counter {Prohibited} comment \"peer-drop\"",
        ], Rules(script));
        Assert.Contains(Comments(script, "client_work"), c => c.StartsWith("# peer: matches nothing here: each address it names belongs to another client", StringComparison.Ordinal));
    }

    [Fact]
    public void every_rule_of_a_client_chain_carries_a_comment()
    {
        var script = Render(Work("action=accept proto=tcp", "action=reject", "action=drop proto=icmp"));

        Assert.All(Chain(script, "client_work"), line => Assert.Matches("comment \"[^\"]+\"$", line));
    }

    [Fact]
    public void chain_names_are_unique_and_nft_safe()
    {
        var names = NftRenderer.ChainNames(Policy(("a-b", [], []), ("a_b", [], []), ("a.b", [], [])));

        Assert.Equal(["client_a-b", "client_a_b", "client_a_b_2"], names);
    }

    [Fact]
    public void without_uplink_details_nat_masquerades_client_traffic_not_bound_for_a_client()
    {
        var script = Render(Policy(("work", ["10.137.0.5", "fd00:137::5"], []), ("personal", ["10.137.0.6"], [])));

        Assert.Equal(
        [
            "type nat hook postrouting priority srcnat; policy accept;",
            "ip saddr { 10.137.0.5, 10.137.0.6 } ip daddr != { 10.137.0.5, 10.137.0.6 } counter masquerade comment \"IPv4 from clients\"",
            "ip6 saddr fd00:137::5 ip6 daddr != fd00:137::5 counter masquerade comment \"IPv6 from clients\"",
        ], Chain(script, "postrouting"));
    }

    [Fact]
    public void with_an_uplink_interface_nat_masquerades_on_it()
    {
        var script = Render(Work(), new NftOptions { NowUnix = Now, UplinkInterface = "eth0" });

        Assert.Equal(["type nat hook postrouting priority srcnat; policy accept;", "oifname \"eth0\" counter masquerade comment \"masquerade on the uplink\""],
            Chain(script, "postrouting"));
    }

    [Fact]
    public void with_uplink_addresses_nat_snats_each_family_given_and_leaves_the_other_untranslated()
    {
        var both = Render(Work(), new NftOptions { NowUnix = Now, UplinkInterface = "eth0", UplinkV4 = IPAddress.Parse("192.0.2.1"), UplinkV6 = IPAddress.Parse("2001:db8::1") });
        var v4 = Render(Work(), new NftOptions { NowUnix = Now, UplinkInterface = "eth0", UplinkV4 = IPAddress.Parse("192.0.2.1") });

        Assert.Equal(
        [
            "type nat hook postrouting priority srcnat; policy accept;",
            "oifname \"eth0\" meta nfproto ipv4 counter snat ip to 192.0.2.1 comment \"IPv4 to the uplink\"",
            "oifname \"eth0\" meta nfproto ipv6 counter snat ip6 to 2001:db8::1 comment \"IPv6 to the uplink\"",
        ], Chain(both, "postrouting"));
        Assert.Equal(["type nat hook postrouting priority srcnat; policy accept;", "oifname \"eth0\" meta nfproto ipv4 counter snat ip to 192.0.2.1 comment \"IPv4 to the uplink\""],
            Chain(v4, "postrouting"));
        Assert.Contains("# IPv6 leaves untranslated", v4);
    }

    [Fact]
    public void options_that_do_not_fit_the_snapshot_are_refused()
    {
        var content = Work("action=accept dsthost=example.org");

        Assert.Contains("no client named nobody", Assert.Throws<FlagException>(() => Render(content,
            new NftOptions { ClientInterfaces = new Dictionary<string, IReadOnlyList<string>> { ["nobody"] = ["eth1"] } })).Message);
        Assert.Contains("names dsthost other.org", Assert.Throws<FlagException>(() => Render(content,
            new NftOptions { ResolvedHosts = Answers(("other.org", ["192.0.2.1"])) })).Message);
        Assert.Contains("already belongs to the uplink", Assert.Throws<FlagException>(() => Render(content,
            new NftOptions { UplinkInterface = "eth0", ClientInterfaces = new Dictionary<string, IReadOnlyList<string>> { ["work"] = ["eth0"] } })).Message);
        Assert.Contains("not an interface name", Assert.Throws<FlagException>(() => Render(content,
            new NftOptions { UplinkInterface = "eth0\" accept" })).Message);
        Assert.Contains("no quote, backslash, slash, colon, space or *", Assert.Throws<FlagException>(() => Render(content,
            new NftOptions { ClientInterfaces = new Dictionary<string, IReadOnlyList<string>> { ["work"] = ["vif*"] } })).Message);
    }

    [Fact]
    public void a_line_break_in_a_name_cannot_end_a_comment_line()
    {
        var content = Policy(("work\n}\n}\ntable ip evil {", ["10.137.0.5"], [("r-1\nflush ruleset", "action=accept")]));

        var script = Render(content);

        Assert.DoesNotContain("\ntable ip evil", script);
        Assert.DoesNotContain("\nflush ruleset", script);
        Assert.Contains("# Client work?}?}?table ip evil {: 1 rule(s)", script);
    }
}
