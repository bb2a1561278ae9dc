using Lethe.Domain.Evaluation;
using Lethe.Domain.Rules;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Classification.Fixtures;

namespace Lethe.PacketPath.Tests.Classification;

public sealed class CompiledPolicyTests
{
    private static Verdict Classify(CompiledPolicy policy, in PacketInfo packet, HostTable? hosts = null, long now = Now, int client = 0) =>
        policy.Classify(client, packet, now, hosts ?? policy.CreateHostTable());

    // ------------------------------------------------------------ first match, default drop, reasons

    [Fact]
    public void the_first_matching_rule_decides()
    {
        var policy = Single("action=drop dst4=192.0.2.0/24 proto=tcp dstports=443-443", "action=accept dst4=192.0.2.0/24", "action=reject");

        Assert.Equal(new Verdict(RuleAction.Drop, 0, DropReason.RuleDrop), Classify(policy, Tcp("192.0.2.7", 443)));
        Assert.Equal(new Verdict(RuleAction.Accept, 1, DropReason.None), Classify(policy, Tcp("192.0.2.7", 80)));
        Assert.Equal(new Verdict(RuleAction.Reject, 2, DropReason.RuleReject), Classify(policy, Tcp("198.51.100.1", 80)));
    }

    [Fact]
    public void no_matching_rule_is_the_default_drop_with_no_rule_index()
    {
        var policy = Single("action=accept dst4=192.0.2.0/24");

        Assert.Equal(new Verdict(RuleAction.Drop, -1, DropReason.NoRuleMatched), Classify(policy, Tcp("198.51.100.1", 80)));
    }

    [Fact]
    public void a_client_without_rules_drops_everything()
    {
        var policy = Single();

        Assert.Equal(new Verdict(RuleAction.Drop, -1, DropReason.NoRuleMatched), Classify(policy, Tcp("192.0.2.1", 80)));
        Assert.Equal(new Verdict(RuleAction.Drop, -1, DropReason.NoRuleMatched), Classify(policy, Tcp("2001:db8::1", 80)));
    }

    // ------------------------------------------------------------ expiry

    [Fact]
    public void a_rule_whose_expire_has_come_never_matches()
    {
        var policy = Single($"action=accept expire={Now} proto=tcp", $"action=reject expire={Now + 1} proto=tcp");

        Assert.Equal(1, Classify(policy, Tcp("192.0.2.1", 80)).RuleIndex);
        Assert.Equal(0, Classify(policy, Tcp("192.0.2.1", 80), now: Now - 1).RuleIndex);
        Assert.Equal(-1, Classify(policy, Tcp("192.0.2.1", 80), now: Now + 1).RuleIndex);
    }

    // ------------------------------------------------------------ address families

    [Fact]
    public void dst4_rules_never_match_ipv6_and_dst6_rules_never_match_ipv4()
    {
        var policy = Single("action=accept dst4=0.0.0.0/0", "action=reject dst6=::/0");

        Assert.Equal(0, Classify(policy, Tcp("192.0.2.1", 80)).RuleIndex);
        Assert.Equal(1, Classify(policy, Tcp("2001:db8::1", 80)).RuleIndex);
        // An IPv4-mapped IPv6 destination is IPv6.
        Assert.Equal(1, Classify(policy, Tcp("::ffff:192.0.2.1", 80)).RuleIndex);
    }

    [Fact]
    public void a_rule_without_a_destination_matches_both_families()
    {
        var policy = Single("action=accept proto=udp");

        Assert.Equal(0, Classify(policy, Udp("192.0.2.1", 123)).RuleIndex);
        Assert.Equal(0, Classify(policy, Udp("2001:db8::1", 123)).RuleIndex);
    }

    [Fact]
    public void networks_match_by_prefix_with_host_bits_ignored()
    {
        var policy = Single("action=accept dst4=192.0.2.77/25", "action=accept dst6=2001:db8::ffff/112");

        Assert.Equal(0, Classify(policy, Tcp("192.0.2.0", 1)).RuleIndex);
        Assert.Equal(0, Classify(policy, Tcp("192.0.2.127", 1)).RuleIndex);
        Assert.Equal(-1, Classify(policy, Tcp("192.0.2.128", 1)).RuleIndex);
        Assert.Equal(1, Classify(policy, Tcp("2001:db8::abcd", 1)).RuleIndex);
        Assert.Equal(-1, Classify(policy, Tcp("2001:db8::1:0", 1)).RuleIndex);
    }

    // ------------------------------------------------------------ protocols, ports, ICMP types

    [Fact]
    public void proto_icmp_means_icmp_on_ipv4_and_icmpv6_on_ipv6()
    {
        var policy = Single("action=accept proto=icmp");

        Assert.Equal(0, Classify(policy, Packet("192.0.2.1", 1)).RuleIndex);
        Assert.Equal(-1, Classify(policy, Packet("192.0.2.1", 58)).RuleIndex);
        Assert.Equal(0, Classify(policy, Packet("2001:db8::1", 58)).RuleIndex);
        Assert.Equal(-1, Classify(policy, Packet("2001:db8::1", 1)).RuleIndex);
    }

    [Fact]
    public void icmptype_compares_the_type_of_the_packets_family()
    {
        var policy = Single("action=accept proto=icmp icmptype=8", "action=reject proto=icmp icmptype=128");

        Assert.Equal(0, Classify(policy, Packet("192.0.2.1", 1, icmpType: 8)).RuleIndex);
        Assert.Equal(-1, Classify(policy, Packet("192.0.2.1", 1, icmpType: 0)).RuleIndex);
        Assert.Equal(1, Classify(policy, Packet("2001:db8::1", 58, icmpType: 128)).RuleIndex);
        Assert.Equal(-1, Classify(policy, Packet("2001:db8::1", 58, icmpType: 129)).RuleIndex);
        // The number is compared as is, whatever it means in the packet's family.
        Assert.Equal(0, Classify(policy, Packet("2001:db8::1", 58, icmpType: 8)).RuleIndex);
        Assert.Equal(1, Classify(policy, Packet("192.0.2.1", 1, icmpType: 128)).RuleIndex);
    }

    [Fact]
    public void proto_tcp_and_udp_match_only_their_protocol_and_no_proto_matches_any_protocol()
    {
        var policy = Single("action=accept proto=tcp", "action=reject proto=udp", "action=drop");

        Assert.Equal(0, Classify(policy, Tcp("192.0.2.1", 1)).RuleIndex);
        Assert.Equal(1, Classify(policy, Udp("192.0.2.1", 1)).RuleIndex);
        Assert.Equal(2, Classify(policy, Packet("192.0.2.1", 47)).RuleIndex); // GRE
        Assert.Equal(2, Classify(policy, Packet("192.0.2.1", 1)).RuleIndex);
    }

    [Fact]
    public void dstports_are_an_inclusive_range_of_the_tcp_or_udp_destination_port()
    {
        var policy = Single("action=accept proto=tcp dstports=80-443", "action=reject proto=udp dstports=53");

        Assert.Equal(-1, Classify(policy, Tcp("192.0.2.1", 79)).RuleIndex);
        Assert.Equal(0, Classify(policy, Tcp("192.0.2.1", 80)).RuleIndex);
        Assert.Equal(0, Classify(policy, Tcp("192.0.2.1", 443)).RuleIndex);
        Assert.Equal(-1, Classify(policy, Tcp("192.0.2.1", 444)).RuleIndex);
        Assert.Equal(-1, Classify(policy, Udp("192.0.2.1", 80)).RuleIndex);
        Assert.Equal(1, Classify(policy, Udp("192.0.2.1", 53)).RuleIndex);
        Assert.Equal(-1, Classify(policy, Udp("192.0.2.1", 54)).RuleIndex);
    }

    [Fact]
    public void a_port_field_left_in_a_non_tcp_udp_packet_is_ignored()
    {
        // The reference sees no destination port for ICMP; a port rule must not match it.
        var policy = Single("action=accept proto=tcp dstports=0-65535", "action=reject");

        Assert.Equal(1, Classify(policy, Packet("192.0.2.1", 1, port: 80)).RuleIndex);
    }

    // ------------------------------------------------------------ specialtarget=dns

    [Fact]
    public void specialtarget_dns_matches_the_configured_resolvers_on_tcp_and_udp_port_53_only()
    {
        var policy = Single("action=accept specialtarget=dns", "action=reject");

        Assert.Equal(0, Classify(policy, Udp("10.139.1.1", 53)).RuleIndex);
        Assert.Equal(0, Classify(policy, Tcp("10.139.1.1", 53)).RuleIndex);
        Assert.Equal(0, Classify(policy, Udp("fd00::53", 53)).RuleIndex);
        Assert.Equal(1, Classify(policy, Udp("10.139.1.2", 53)).RuleIndex);
        Assert.Equal(1, Classify(policy, Udp("10.139.1.1", 54)).RuleIndex);
        Assert.Equal(1, Classify(policy, Packet("10.139.1.1", 1, port: 53)).RuleIndex);
    }

    [Fact]
    public void specialtarget_dns_with_proto_tcp_matches_only_tcp()
    {
        var policy = Single("action=drop proto=tcp specialtarget=dns", "action=accept");

        Assert.Equal(new Verdict(RuleAction.Drop, 0, DropReason.RuleDrop), Classify(policy, Tcp("10.139.1.1", 53)));
        Assert.Equal(1, Classify(policy, Udp("10.139.1.1", 53)).RuleIndex);
    }

    [Fact]
    public void specialtarget_dns_never_matches_when_no_resolver_is_configured()
    {
        var policy = Compile(Content(("work", ["10.137.0.10"], ["action=accept specialtarget=dns"])));

        Assert.Equal(-1, Classify(policy, Udp("10.139.1.1", 53)).RuleIndex);
    }

    // ------------------------------------------------------------ dsthost

    [Fact]
    public void an_unresolved_dsthost_drop_rule_blocks_the_whole_client()
    {
        var policy = Single("action=accept proto=udp", "action=reject dsthost=ads.example", "action=accept");

        var blocked = new Verdict(RuleAction.Drop, 1, DropReason.DsthostUnresolved);
        Assert.Equal(blocked, Classify(policy, Udp("192.0.2.1", 53)));
        Assert.Equal(blocked, Classify(policy, Tcp("2001:db8::1", 443)));

        var hosts = policy.CreateHostTable();
        hosts.Set("ads.example", [Address("198.51.100.9")]);
        Assert.Equal(0, Classify(policy, Udp("192.0.2.1", 53), hosts).RuleIndex);
        Assert.Equal(new Verdict(RuleAction.Reject, 1, DropReason.RuleReject), Classify(policy, Tcp("198.51.100.9", 443), hosts));
        Assert.Equal(2, Classify(policy, Tcp("198.51.100.10", 443), hosts).RuleIndex);

        hosts.Remove("ads.example");
        Assert.Equal(blocked, Classify(policy, Udp("192.0.2.1", 53), hosts));
    }

    [Fact]
    public void a_dsthost_answered_for_one_family_only_blocks_and_matches_in_that_family_alone()
    {
        var policy = Single("action=drop dsthost=tracker.example", "action=accept dsthost=cdn.example", "action=accept proto=udp");
        var hosts = policy.CreateHostTable();
        // Their AAAA queries failed: answered for IPv4 only.
        hosts.Set("tracker.example", [Address("192.0.2.66")], v4: true, v6: false);
        hosts.Set("cdn.example", [Address("192.0.2.80"), Address("2001:db8::80")], v4: true, v6: false);

        Assert.Equal(new Verdict(RuleAction.Drop, 0, DropReason.RuleDrop), Classify(policy, Tcp("192.0.2.66", 443), hosts));
        Assert.Equal(new Verdict(RuleAction.Accept, 1, DropReason.None), Classify(policy, Tcp("192.0.2.80", 443), hosts));
        Assert.Equal(new Verdict(RuleAction.Accept, 2, DropReason.None), Classify(policy, Udp("198.51.100.1", 53), hosts));
        Assert.Equal(new Verdict(RuleAction.Drop, 0, DropReason.DsthostUnresolved), Classify(policy, Udp("2001:db8::53", 53), hosts));

        hosts.Set("tracker.example", [], v4: false, v6: true);
        Assert.Equal(new Verdict(RuleAction.Accept, 2, DropReason.None), Classify(policy, Udp("2001:db8::53", 53), hosts));
        Assert.Equal(new Verdict(RuleAction.Drop, -1, DropReason.NoRuleMatched), Classify(policy, Tcp("2001:db8::80", 443), hosts));
    }

    [Fact]
    public void the_first_unresolved_dsthost_drop_rule_is_the_one_reported()
    {
        var policy = Single("action=drop dsthost=b.example", "action=drop dsthost=a.example");
        var hosts = policy.CreateHostTable();
        hosts.Set("b.example", []);

        Assert.Equal(new Verdict(RuleAction.Drop, 1, DropReason.DsthostUnresolved), Classify(policy, Tcp("192.0.2.1", 80), hosts));
    }

    [Fact]
    public void an_expired_unresolved_dsthost_drop_rule_blocks_nothing()
    {
        var policy = Single($"action=drop expire={Now} dsthost=ads.example", "action=accept");

        Assert.Equal(1, Classify(policy, Tcp("192.0.2.1", 80)).RuleIndex);
        Assert.Equal(DropReason.DsthostUnresolved, Classify(policy, Tcp("192.0.2.1", 80), now: Now - 1).Reason);
    }

    [Fact]
    public void an_unresolved_dsthost_accept_rule_matches_nothing()
    {
        var policy = Single("action=accept dsthost=updates.example", "action=reject");

        Assert.Equal(1, Classify(policy, Tcp("192.0.2.1", 80)).RuleIndex);
    }

    [Fact]
    public void a_dsthost_resolved_to_nothing_blocks_nothing_and_matches_nothing()
    {
        var policy = Single("action=drop dsthost=ads.example", "action=accept");
        var hosts = policy.CreateHostTable();
        hosts.Set("ads.example", []);

        Assert.Equal(new Verdict(RuleAction.Accept, 1, DropReason.None), Classify(policy, Tcp("192.0.2.1", 80), hosts));
    }

    [Fact]
    public void a_dsthost_rule_matches_exactly_the_current_answers_of_either_family()
    {
        var policy = Single("action=accept dsthost=updates.example proto=tcp dstports=443");
        var hosts = policy.CreateHostTable();
        hosts.Set("updates.example", [Address("192.0.2.5"), Address("2001:db8::5")]);

        Assert.Equal(0, Classify(policy, Tcp("192.0.2.5", 443), hosts).RuleIndex);
        Assert.Equal(0, Classify(policy, Tcp("2001:db8::5", 443), hosts).RuleIndex);
        Assert.Equal(-1, Classify(policy, Tcp("192.0.2.6", 443), hosts).RuleIndex);
        Assert.Equal(-1, Classify(policy, Tcp("192.0.2.5", 80), hosts).RuleIndex);

        hosts.Set("updates.example", [Address("192.0.2.6")]);
        Assert.Equal(-1, Classify(policy, Tcp("192.0.2.5", 443), hosts).RuleIndex);
        Assert.Equal(0, Classify(policy, Tcp("192.0.2.6", 443), hosts).RuleIndex);
    }

    [Fact]
    public void names_sharing_an_address_match_in_rule_order_as_their_answers_change()
    {
        var policy = Single("action=accept dst4=192.0.2.0/30 proto=udp", "action=reject dsthost=a.example", "action=drop dst4=192.0.2.5",
            "action=accept dsthost=b.example", "action=accept proto=udp");
        var hosts = policy.CreateHostTable();
        hosts.Set("a.example", [Address("192.0.2.5")]);
        hosts.Set("b.example", [Address("192.0.2.5"), Address("192.0.2.1")]);

        Assert.Equal(1, Classify(policy, Tcp("192.0.2.5", 80), hosts).RuleIndex);
        Assert.Equal(3, Classify(policy, Tcp("192.0.2.1", 80), hosts).RuleIndex);
        Assert.Equal(0, Classify(policy, Udp("192.0.2.1", 53), hosts).RuleIndex);

        hosts.Set("a.example", [Address("192.0.2.6")]);
        Assert.Equal(2, Classify(policy, Tcp("192.0.2.5", 80), hosts).RuleIndex);
        Assert.Equal(1, Classify(policy, Tcp("192.0.2.6", 80), hosts).RuleIndex);

        hosts.Set("b.example", [Address("192.0.2.5")]);
        Assert.Equal(-1, Classify(policy, Tcp("192.0.2.1", 80), hosts).RuleIndex);

        var copy = policy.CreateHostTable();
        copy.CopyFrom(hosts);
        hosts.Remove("a.example");
        Assert.Equal(1, Classify(policy, Tcp("192.0.2.6", 80), copy).RuleIndex);
        Assert.Equal(DropReason.DsthostUnresolved, Classify(policy, Tcp("192.0.2.6", 80), hosts).Reason);
        hosts.Set("a.example", []);
        Assert.Equal(-1, Classify(policy, Tcp("192.0.2.6", 80), hosts).RuleIndex);
    }

    [Fact]
    public void a_names_first_answer_never_lets_a_worker_through_the_drop_rule_naming_it()
    {
        // Before the answer the client is blocked (the name is unresolved); after it rule 0 drops the flow. A worker
        // classifying while the answer lands sees one or the other, never the accept after them.
        var policy = Single("action=drop dsthost=ads.example", "action=accept");
        var flow = Tcp("192.0.2.5", 80);
        HostTable? current = null;
        var classified = 0L;
        var accepted = 0L;
        var done = false;
        var worker = new Thread(() =>
        {
            while (!Volatile.Read(ref done))
            {
                if (Volatile.Read(ref current) is { } hosts)
                {
                    if (policy.Classify(0, flow, Now, hosts).Accepts)
                    {
                        Interlocked.Increment(ref accepted);
                    }
                    Interlocked.Increment(ref classified);
                }
            }
        });
        worker.Start();
        try
        {
            for (var i = 0; i < 20_000 && Interlocked.Read(ref accepted) == 0; i++)
            {
                var hosts = policy.CreateHostTable();
                Volatile.Write(ref current, hosts);
                var seen = Interlocked.Read(ref classified);
                var spin = new SpinWait();
                while (Interlocked.Read(ref classified) < seen + 2)
                {
                    spin.SpinOnce(); // the worker is on this table before the answer lands (yields when it has no core of its own)
                }
                hosts.Set("ads.example", [Address("192.0.2.5")]);
            }
        }
        finally
        {
            Volatile.Write(ref done, true);
            worker.Join();
        }

        Assert.Equal(0, Interlocked.Read(ref accepted));
    }

    [Fact]
    public void an_ip_literal_given_as_dsthost_is_a_network_rule_and_needs_no_resolution()
    {
        var policy = Single("action=drop dsthost=192.0.2.9", "action=accept");

        Assert.Empty(policy.HostNames);
        Assert.Equal(0, Classify(policy, Tcp("192.0.2.9", 80)).RuleIndex);
        Assert.Equal(1, Classify(policy, Tcp("192.0.2.10", 80)).RuleIndex);
    }

    [Fact]
    public void a_host_table_with_another_name_table_gives_the_same_answers()
    {
        var policy = Single("action=drop dsthost=a.example", "action=accept dsthost=b.example");
        var foreign = new HostTable(["z.example", "b.example", "a.example"]);
        foreign.Set("a.example", [Address("192.0.2.1")]);
        foreign.Set("b.example", [Address("192.0.2.2")]);

        Assert.Equal(0, Classify(policy, Tcp("192.0.2.1", 80), foreign).RuleIndex);
        Assert.Equal(1, Classify(policy, Tcp("192.0.2.2", 80), foreign).RuleIndex);

        var missing = new HostTable(["b.example"]);
        Assert.Equal(DropReason.DsthostUnresolved, Classify(policy, Tcp("192.0.2.2", 80), missing).Reason);
    }

    // ------------------------------------------------------------ traffic between clients

    private static readonly SnapshotContent TwoClients = Content(
        ("work", ["10.137.0.10", "fd00::10"], ["action=accept proto=tcp dstports=22", "action=accept dst4=10.137.0.20/32 proto=tcp dstports=80", "action=accept"]),
        ("personal", ["10.137.0.20", "fd00::20"], ["action=drop dst4=10.137.0.10", "action=accept"]));

    [Fact]
    public void a_catch_all_accept_never_opens_another_client()
    {
        var policy = Compile(TwoClients);

        Assert.Equal(new Verdict(RuleAction.Drop, -1, DropReason.ClientIsolated), Classify(policy, Tcp("10.137.0.20", 22)));
        Assert.Equal(new Verdict(RuleAction.Drop, -1, DropReason.ClientIsolated), Classify(policy, Tcp("fd00::20", 443)));
        Assert.Equal(new Verdict(RuleAction.Accept, 0, DropReason.None), Classify(policy, Tcp("192.0.2.1", 22)));
    }

    [Fact]
    public void an_accept_whose_network_explicitly_covers_another_client_opens_it()
    {
        var policy = Compile(TwoClients);

        Assert.Equal(new Verdict(RuleAction.Accept, 1, DropReason.None), Classify(policy, Tcp("10.137.0.20", 80)));
    }

    [Fact]
    public void drop_rules_apply_to_traffic_towards_another_client()
    {
        var policy = Compile(TwoClients);

        Assert.Equal(new Verdict(RuleAction.Drop, 0, DropReason.RuleDrop), Classify(policy, Tcp("10.137.0.10", 80), client: 1));
        Assert.Equal(new Verdict(RuleAction.Drop, -1, DropReason.ClientIsolated), Classify(policy, Tcp("fd00::10", 80), client: 1));
    }

    [Fact]
    public void a_client_may_reach_its_own_address_through_a_catch_all_accept()
    {
        var policy = Compile(TwoClients);

        Assert.Equal(new Verdict(RuleAction.Accept, 2, DropReason.None), Classify(policy, Tcp("10.137.0.10", 443)));
    }

    [Fact]
    public void a_dsthost_or_dns_accept_pointing_at_another_client_does_not_open_it()
    {
        var policy = Compile(Content(
            ("work", ["10.137.0.10"], ["action=accept dsthost=printer.example", "action=accept specialtarget=dns"]),
            ("printer", ["10.137.0.30"], [])), "10.137.0.30");
        var hosts = policy.CreateHostTable();
        hosts.Set("printer.example", [Address("10.137.0.30")]);

        Assert.Equal(new Verdict(RuleAction.Drop, -1, DropReason.ClientIsolated), Classify(policy, Tcp("10.137.0.30", 631), hosts));
        Assert.Equal(new Verdict(RuleAction.Drop, -1, DropReason.ClientIsolated), Classify(policy, Udp("10.137.0.30", 53), hosts));
    }

    [Fact]
    public void an_address_shared_by_two_clients_is_another_clients_address_for_both()
    {
        var policy = Compile(Content(
            ("a", ["10.137.0.10", "10.137.0.99"], ["action=accept"]),
            ("b", ["10.137.0.20", "10.137.0.99"], ["action=accept"])));

        Assert.Equal(DropReason.ClientIsolated, Classify(policy, Tcp("10.137.0.99", 1), client: 0).Reason);
        Assert.Equal(DropReason.ClientIsolated, Classify(policy, Tcp("10.137.0.99", 1), client: 1).Reason);
    }

    // ------------------------------------------------------------ compile-time surface

    [Fact]
    public void find_client_returns_the_client_owning_that_exact_address()
    {
        var policy = Compile(Content(
            ("work", ["10.137.0.10", "fd00::10"], []),
            ("personal", ["10.137.0.20"], []),
            ("shadow", ["10.137.0.20", "10.137.0.30"], [])));

        Assert.Equal(0, policy.FindClient(Address("10.137.0.10")));
        Assert.Equal(0, policy.FindClient(Address("fd00::10")));
        Assert.Equal(1, policy.FindClient(Address("10.137.0.20")));
        Assert.Equal(2, policy.FindClient(Address("10.137.0.30")));
        Assert.Equal(-1, policy.FindClient(Address("10.137.0.11")));
        Assert.Equal(-1, policy.FindClient(Address("::ffff:10.137.0.10")));
        Assert.Equal(-1, policy.FindClient(NetAddress.V4(0)));
    }

    [Fact]
    public void clients_and_rule_ids_keep_the_snapshots_order()
    {
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "p",
        [
            new SnapshotClient("work", ["10.137.0.10"], [new SnapshotRule("r-ssh", "action=accept proto=tcp dstports=22-22"), new SnapshotRule("r-web", "action=accept proto=tcp dstports=443-443")]),
            new SnapshotClient("personal", ["10.137.0.20"], []),
        ]);
        var policy = CompiledPolicy.Compile(content, []);

        Assert.Equal(2, policy.ClientCount);
        Assert.Equal("work", policy.ClientName(0));
        Assert.Equal("personal", policy.ClientName(1));
        Assert.Equal(1, policy.ClientIndex("personal"));
        Assert.Equal(-1, policy.ClientIndex("nobody"));
        Assert.Equal(2, policy.RuleCount(0));
        Assert.Equal(0, policy.RuleCount(1));
        Assert.Equal("r-ssh", policy.RuleId(0, 0));
        Assert.Equal("r-web", policy.RuleId(0, 1));
        Assert.Equal("r-web", policy.RuleId(0, policy.Classify(0, Tcp("192.0.2.1", 443), Now, policy.CreateHostTable()).RuleIndex));
    }

    [Fact]
    public void host_names_lists_every_dsthost_name_once_in_order_of_first_use()
    {
        var policy = Compile(Content(
            ("work", ["10.137.0.10"], ["action=accept dsthost=b.example", "action=drop dsthost=a.example", $"action=drop expire={Now - 10} dsthost=c.example"]),
            ("personal", ["10.137.0.20"], ["action=accept dsthost=a.example", "action=accept dsthost=d.example", "action=accept dst4=192.0.2.0/24"])));

        Assert.Equal(["b.example", "a.example", "c.example", "d.example"], policy.HostNames);
    }

    [Fact]
    public void compiling_refuses_a_rule_that_does_not_parse()
    {
        var content = Content(("work", ["10.137.0.10"], ["action=allow"]));

        Assert.Throws<RuleFormatException>(() => CompiledPolicy.Compile(content, []));
    }

    // ------------------------------------------------------------ scale and allocation

    [Fact]
    public void a_client_with_ten_thousand_rules_agrees_with_the_reference()
    {
        var rules = new List<string>();
        for (var i = 0; i < 10_000; i++)
        {
            rules.Add((i % 7) switch
            {
                0 => $"action=drop dst4=10.{i / 256 % 256}.{i % 256}.0/24 proto=tcp dstports={i % 1000}-{i % 1000 + 10}",
                1 => $"action=accept dst6=2001:db8:{i:x}::/48 proto=udp",
                2 => $"action=reject dst4=172.16.{i % 256}.{i / 256 % 256}/32",
                3 => $"action=accept proto=icmp icmptype={i % 256} dst4=192.168.{i % 256}.0/24",
                4 => $"action=accept expire={Now + (i % 3) - 1} dst4=10.200.{i % 256}.0/24",
                5 => $"action=accept dsthost=h{i % 10}.example proto=tcp",
                _ => $"action=drop dst4=100.64.{i % 256}.0/24 proto=udp dstports={i % 60000}-{i % 60000 + 5}",
            });
        }
        rules.Add("action=accept proto=tcp dstports=443-443");
        var content = Content(("big", ["10.137.0.10"], rules.ToArray()), ("other", ["10.137.0.20"], []));
        var policy = Compile(content, "10.139.1.1");
        var model = SnapshotCodec.ToModel(content);
        var hosts = policy.CreateHostTable();
        for (var h = 0; h < 10; h++)
        {
            hosts.Set($"h{h}.example", [Address($"198.51.100.{h}")]);
        }
        var environment = Environment(Now, policy.DnsResolvers, hosts);
        var random = new Random(7);
        for (var n = 0; n < 600; n++)
        {
            var destination = (n % 6) switch
            {
                0 => $"10.{random.Next(0, 40)}.{random.Next(0, 256)}.{random.Next(0, 256)}",
                1 => $"2001:db8:{random.Next(0, 10_000):x}::{random.Next(0, 99)}",
                2 => $"172.16.{random.Next(0, 256)}.{random.Next(0, 40)}",
                3 => $"192.168.{random.Next(0, 256)}.1",
                4 => $"198.51.100.{random.Next(0, 12)}",
                _ => $"10.200.{random.Next(0, 256)}.9",
            };
            var protocol = (byte)(random.Next(4) switch { 0 => 6, 1 => 17, 2 => destination.Contains(':') ? 58 : 1, _ => 47 });
            var packet = Packet(destination, protocol, (ushort)random.Next(0, 1100), (byte)random.Next(0, 256));
            var now = Now + random.Next(-1, 2);

            var expected = ReferenceEvaluator.Evaluate(model, "big", Query(packet), environment with { NowUnix = now });
            var actual = policy.Classify(0, packet, now, hosts);

            Assert.Equal(expected.Action, actual.Action);
            Assert.Equal(expected.RuleId, RuleIdOf(policy, 0, actual));
        }
    }

    [Fact]
    public void classify_allocates_nothing()
    {
        var policy = Compile(TwoClients, "10.139.1.1");
        var hosts = policy.CreateHostTable();
        var packets = new[] { Tcp("10.137.0.20", 80), Tcp("192.0.2.1", 22), Udp("fd00::20", 53), Packet("2001:db8::1", 58, icmpType: 128) };
        for (var i = 0; i < 100; i++)
        {
            policy.Classify(0, packets[i % packets.Length], Now, hosts); // warm up (JIT tiers)
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var accepted = 0;
        for (var i = 0; i < 10_000; i++)
        {
            accepted += policy.Classify(0, packets[i % packets.Length], Now, hosts).Accepts ? 1 : 0;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // A per-packet allocation would cost at least 24 bytes each time; less than a byte per operation leaves
        // room only for the runtime's own one-off work (tiered JIT, OSR) that may land on this thread.
        Assert.True(allocated < 10_000, $"{allocated} bytes allocated over 10,000 classifications");
        Assert.True(accepted > 0);
    }
}
