using CsCheck;
using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Tracking;

public class ConnectionTableTests
{
    private const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Ack = 0x10;
    private static readonly NetAddress Uplink = NetAddress.Parse("192.0.2.1");
    private static readonly NetAddress Remote = NetAddress.Parse("198.51.100.7");

    private static NetAddress ClientAddress(int client) => NetAddress.V4(0x0A89_0000u + (uint)client);

    private static FlowKey Key(byte protocol, int client = 0, ushort port = 40000) =>
        protocol is 1 or 58
            ? new FlowKey(ClientAddress(client), Remote, protocol, port, port)
            : new FlowKey(ClientAddress(client), Remote, protocol, port, 443);

    /// <summary>The reply key after masquerade: from the remote to the uplink, port for port.</summary>
    private static FlowKey Masqueraded(FlowKey original, int salt = 0) =>
        PortAllocator.ReplyKey(original.Protocol, Uplink, original.Destination, original.DestinationPort,
            (ushort)(original.SourcePort + salt));

    private static ConnectionTable Table(int capacity = 1024, int? quota = null, ConnectionTimeouts? timeouts = null) =>
        new(new ConnectionLimits { Capacity = capacity, PerClientQuota = quota ?? capacity }, timeouts ?? ConnectionTimeouts.Default, hashSeed: 7);

    private static int Open(ConnectionTable table, FlowKey original, byte tcpFlags = Syn, int client = 0, long nowMs = 0)
    {
        Assert.True(table.TryCreate(in original, Masqueraded(original), client, ruleIndex: 5, tcpFlags, nowMs, out var entry, out var reason),
            reason.ToString());
        table.Observe(entry, isReply: false, Seg(tcpFlags), 60, nowMs);
        return entry;
    }

    /// <summary>A segment with these flags at sequence and acknowledgement 0: the state machine's tests, inside any window.</summary>
    private static TcpSample Seg(int flags) => new((byte)flags, 0, 0, 0, 0);

    private static bool Alive(ConnectionTable table, FlowKey key, long nowMs) => table.Lookup(in key, nowMs, out _, out _);

    [Fact]
    public void a_tcp_connection_walks_from_syn_to_time_wait()
    {
        var table = Table();
        var key = Key(6);
        var entry = Open(table, key);
        Assert.Equal(ConnectionState.SynSent, table.StateOf(entry));

        var steps = new (bool Reply, byte Flags, ConnectionState Then)[]
        {
            (true, Syn | Ack, ConnectionState.SynReceived),
            (false, Ack, ConnectionState.Established),
            (true, Ack, ConnectionState.Established),
            (false, Fin | Ack, ConnectionState.FinWait),
            (false, Fin | Ack, ConnectionState.FinWait),
            (true, Ack, ConnectionState.CloseWait),
            (true, Ack, ConnectionState.CloseWait),
            (true, Fin | Ack, ConnectionState.LastAck),
            (true, Ack, ConnectionState.LastAck),
            (false, Ack, ConnectionState.TimeWait),
        };
        foreach (var (reply, flags, then) in steps)
        {
            table.Observe(entry, reply, Seg(flags), 40, 1);
            Assert.Equal(then, table.StateOf(entry));
        }
    }

    [Fact]
    public void a_close_started_by_the_remote_and_a_simultaneous_close_both_reach_time_wait()
    {
        var table = Table();
        var remoteFirst = Open(table, Key(6, port: 1), Ack);
        table.Observe(remoteFirst, true, Seg(Fin | Ack), 40, 1);
        Assert.Equal(ConnectionState.FinWait, table.StateOf(remoteFirst));
        table.Observe(remoteFirst, false, Seg(Ack), 40, 1);
        Assert.Equal(ConnectionState.CloseWait, table.StateOf(remoteFirst));
        table.Observe(remoteFirst, false, Seg(Fin | Ack), 40, 1);
        table.Observe(remoteFirst, true, Seg(Ack), 40, 1);
        Assert.Equal(ConnectionState.TimeWait, table.StateOf(remoteFirst));

        var together = Open(table, Key(6, port: 2), Ack);
        table.Observe(together, false, Seg(Fin | Ack), 40, 1);
        table.Observe(together, true, Seg(Fin | Ack), 40, 1);
        Assert.Equal(ConnectionState.LastAck, table.StateOf(together));
        table.Observe(together, false, Seg(Ack), 40, 1);
        Assert.Equal(ConnectionState.TimeWait, table.StateOf(together));
    }

    [Theory]
    [InlineData(Syn)]
    [InlineData(Ack)]
    [InlineData(Fin | Ack)]
    public void a_reset_from_either_side_closes_the_connection_for_ten_seconds(byte before)
    {
        var table = Table();
        var key = Key(6);
        var entry = Open(table, key, before);

        // Acknowledging the SYN (sequence 0), without which a reset in SYN-SENT is refused.
        table.Observe(entry, isReply: true, new TcpSample(Rst | Ack, 0, 1, 0, 0), 40, 1_000);

        Assert.Equal(ConnectionState.Close, table.StateOf(entry));
        Assert.True(Alive(table, key, 10_999));
        Assert.False(Alive(table, key, 11_000));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void a_new_syn_from_either_side_of_a_flow_in_time_wait_is_a_new_connection_the_old_entry_does_not_carry()
    {
        var table = Table();
        var entry = Open(table, Key(6), Ack);
        table.Observe(entry, false, Seg(Fin | Ack), 40, 1);
        table.Observe(entry, true, Seg(Fin | Ack), 40, 1);
        table.Observe(entry, false, Seg(Ack), 40, 1);
        Assert.Equal(ConnectionState.TimeWait, table.StateOf(entry));

        Assert.True(table.IsReopenedBy(entry, isReply: false, Syn));
        Assert.True(table.IsReopenedBy(entry, isReply: true, Syn));
        Assert.False(table.IsReopenedBy(entry, isReply: false, Syn | Ack));
        Assert.False(table.IsReopenedBy(entry, isReply: false, Ack));
        Assert.Equal(DropReason.TcpInvalid, table.Observe(entry, false, Seg(Syn), 40, 2));
        Assert.Equal(DropReason.TcpInvalid, table.Observe(entry, true, Seg(Syn), 40, 2));
        Assert.Equal(ConnectionState.TimeWait, table.StateOf(entry));
    }

    [Fact]
    public void an_established_flow_is_not_reopened_by_a_syn()
    {
        var table = Table();
        var entry = Open(table, Key(6), Ack);

        Assert.Equal(ConnectionState.Established, table.StateOf(entry));
        Assert.False(table.IsReopenedBy(entry, isReply: false, Syn));
    }

    [Fact]
    public void a_flow_picked_up_midway_continues_as_established()
    {
        var table = Table();
        Assert.Equal(ConnectionState.Established, table.StateOf(Open(table, Key(6), Ack)));
    }

    // The canonical walk: S = client SYN, sa = SYN-ACK, A/a = ACK, F/f = FIN (capital: client side).
    [Theory]
    [InlineData("S", ConnectionState.SynSent, 120)]
    [InlineData("S sa", ConnectionState.SynReceived, 60)]
    [InlineData("S sa A", ConnectionState.Established, 432_000)]
    [InlineData("S sa A F", ConnectionState.FinWait, 120)]
    [InlineData("S sa A F a", ConnectionState.CloseWait, 60)]
    [InlineData("S sa A F a f", ConnectionState.LastAck, 30)]
    [InlineData("S sa A F a f A", ConnectionState.TimeWait, 120)]
    [InlineData("S sa A R", ConnectionState.Close, 10)]
    public void each_tcp_state_keeps_its_flow_for_its_linux_default_timeout(string walk, ConnectionState state, int seconds)
    {
        var table = Table();
        var key = Key(6);
        var entry = -1;
        const long at = 5_000;
        foreach (var step in walk.Split(' '))
        {
            var flags = step.ToUpperInvariant() switch
            {
                "S" => Syn,
                "SA" => (byte)(Syn | Ack),
                "A" => Ack,
                "F" => (byte)(Fin | Ack),
                _ => (byte)(Rst | Ack),
            };
            if (entry < 0)
            {
                entry = Open(table, key, flags, nowMs: at);
            }
            else
            {
                table.Observe(entry, isReply: char.IsLower(step[0]), Seg(flags), 40, at);
            }
        }

        Assert.Equal(state, table.StateOf(entry));
        Assert.Equal(TimeSpan.FromSeconds(seconds), ConnectionTimeouts.Default.For(state));
        Assert.True(Alive(table, key, at + seconds * 1000L - 1));
        Assert.False(Alive(table, key, at + seconds * 1000L));
    }

    [Fact]
    public void udp_lives_30_seconds_unreplied_or_over_within_2_seconds_and_120_once_still_active_after_them()
    {
        var table = Table();
        var unreplied = Key(17, port: 1);
        var lookup = Key(17, port: 3);
        var replied = Key(17, port: 2);
        Open(table, unreplied, 0);
        // glibc's lookup: A and AAAA from one socket, two queries and two answers within a moment.
        var answered = Open(table, lookup, 0);
        table.Observe(answered, isReply: false, Seg(0), 100, 5);
        table.Observe(answered, isReply: true, Seg(0), 100, 40);
        table.Observe(answered, isReply: true, Seg(0), 100, 1_999);
        var entry = Open(table, replied, 0);
        table.Observe(entry, isReply: true, Seg(0), 100, 1_000);
        table.Observe(entry, isReply: false, Seg(0), 100, 2_000);
        Assert.Equal(ConnectionState.UdpReplied, table.StateOf(answered));
        Assert.Equal(ConnectionState.UdpStream, table.StateOf(entry));

        Assert.True(Alive(table, unreplied, 29_999));
        Assert.False(Alive(table, unreplied, 30_000));
        Assert.True(Alive(table, Masqueraded(lookup), 1_999 + 29_999));
        Assert.False(Alive(table, Masqueraded(lookup), 1_999 + 30_000));
        Assert.True(Alive(table, Masqueraded(replied), 2_000 + 119_999));
        Assert.False(Alive(table, Masqueraded(replied), 2_000 + 120_000));
    }

    [Theory]
    [InlineData((byte)1)]
    [InlineData((byte)58)]
    public void icmp_queries_live_30_seconds_from_the_last_packet(byte protocol)
    {
        var table = Table();
        var key = Key(protocol);
        var entry = Open(table, key, 0);
        table.Observe(entry, isReply: true, Seg(0), 84, 10_000);

        Assert.True(Alive(table, key, 39_999));
        Assert.False(Alive(table, key, 40_000));
    }

    [Fact]
    public void other_protocols_live_for_the_generic_timeout()
    {
        var table = Table();
        var key = new FlowKey(ClientAddress(0), Remote, 47, 0, 0);
        Assert.True(table.TryCreate(in key, key.Reversed(), 0, 0, 0, 0, out var entry, out _));

        Assert.Equal(ConnectionState.Generic, table.StateOf(entry));
        Assert.True(Alive(table, key, 599_999));
        Assert.False(Alive(table, key, 600_000));
    }

    [Fact]
    public void the_established_timeout_can_be_shortened()
    {
        var table = Table(timeouts: ConnectionTimeouts.Default with { Established = TimeSpan.FromHours(1) });
        var key = Key(6);
        var entry = Open(table, key, Ack);
        table.Observe(entry, isReply: true, Seg(Ack), 60, 0);

        Assert.True(Alive(table, key, 3_599_999));
        Assert.False(Alive(table, key, 3_600_000));
    }

    [Fact]
    public void a_picked_up_flow_nobody_answers_is_held_five_minutes_not_five_days()
    {
        var table = Table();
        var unanswered = Key(6);
        var answered = Key(6, port: 40001);
        Open(table, unanswered, Ack);
        var entry = Open(table, answered, Ack);
        table.Observe(entry, isReply: true, Seg(Ack), 60, 0);

        Assert.True(Alive(table, unanswered, 299_999));
        Assert.False(Alive(table, unanswered, 300_000));
        Assert.True(Alive(table, answered, 300_000));
    }

    [Fact]
    public void every_packet_refreshes_the_timeout()
    {
        var table = Table();
        var key = Key(17);
        var entry = Open(table, key, 0);
        table.Observe(entry, false, Seg(0), 10, 25_000);

        Assert.True(Alive(table, key, 54_999));
        Assert.False(Alive(table, key, 55_000));
    }

    [Fact]
    public void a_flow_is_found_by_either_key_and_knows_which_direction_matched()
    {
        var table = Table();
        var key = Key(6);
        var entry = Open(table, key);

        Assert.True(table.Lookup(key, 1, out var found, out var isReply));
        Assert.Equal((entry, false), (found, isReply));
        Assert.True(table.Lookup(Masqueraded(key), 1, out found, out isReply));
        Assert.Equal((entry, true), (found, isReply));
        Assert.False(table.Lookup(key.Reversed(), 1, out _, out _));
        Assert.Equal(key, table.OriginalKey(entry));
        Assert.Equal(Masqueraded(key), table.ReplyKey(entry));
        Assert.Equal(5, table.RuleIndexOf(entry));
        Assert.Equal(0, table.ClientOf(entry));
    }

    [Fact]
    public void observe_counts_packets_and_bytes_per_direction()
    {
        var table = Table();
        var entry = Open(table, Key(17), 0);
        table.Observe(entry, true, Seg(0), 1500, 1);
        table.Observe(entry, true, Seg(0), 500, 2);

        var flow = table.Get(entry);

        Assert.Equal((1ul, 60ul, 2ul, 2000ul), (flow.OriginalPackets, flow.OriginalBytes, flow.ReplyPackets, flow.ReplyBytes));
        Assert.Equal(2, flow.LastSeenMs);
    }

    [Fact]
    public void a_full_table_refuses_new_flows_and_keeps_the_established_ones()
    {
        var table = Table(capacity: 8);
        var keys = Enumerable.Range(0, 8).Select(i => Key(6, port: (ushort)(1000 + i))).ToList();
        foreach (var key in keys)
        {
            Open(table, key, Ack);
        }

        var extra = Key(6, client: 1, port: 2000);
        Assert.False(table.TryCreate(in extra, Masqueraded(extra), 1, 0, Syn, 1_000, out var entry, out var reason));

        Assert.Equal((-1, DropReason.ConnectionTableFull), (entry, reason));
        Assert.Equal(8, table.Count);
        Assert.All(keys, key => Assert.True(Alive(table, key, 1_000)));
    }

    [Fact]
    public void a_full_table_makes_room_by_evicting_expired_flows()
    {
        var table = Table(capacity: 8);
        for (var i = 0; i < 7; i++)
        {
            Open(table, Key(6, port: (ushort)(1000 + i)), Ack);
        }
        Open(table, Key(17, port: 5000), 0, nowMs: 0);

        var extra = Key(6, port: 2000);
        Assert.True(table.TryCreate(in extra, Masqueraded(extra), 0, 0, Syn, 30_000, out _, out _));

        Assert.False(Alive(table, Key(17, port: 5000), 30_000));
        Assert.Equal(8, table.Count);
    }

    [Fact]
    public void a_client_at_its_quota_is_refused_while_others_still_open_flows()
    {
        var table = Table(capacity: 16, quota: 4);
        for (var i = 0; i < 4; i++)
        {
            Open(table, Key(17, client: 1, port: (ushort)(1000 + i)), 0, client: 1);
        }

        var fifth = Key(17, client: 1, port: 2000);
        Assert.False(table.TryCreate(in fifth, Masqueraded(fifth), 1, 0, 0, 0, out _, out var reason));
        Assert.Equal(DropReason.ClientQuotaExceeded, reason);

        Open(table, Key(17, client: 2, port: 2000), 0, client: 2);
        Assert.Equal(4, table.CountFor(1));
        Assert.Equal(1, table.CountFor(2));
    }

    [Fact]
    public void a_client_at_its_quota_makes_room_from_each_of_its_connections_as_it_finishes_and_never_from_an_open_one()
    {
        var table = Table(capacity: 64, quota: 2);
        var first = Open(table, Key(6, client: 1, port: 1000), Ack, client: 1);
        Open(table, Key(6, client: 1, port: 1001), Ack, client: 1);
        var other = Open(table, Key(6, client: 2, port: 1000), Ack, client: 2);
        table.Observe(other, isReply: true, Seg(Rst | Ack), 40, 10); // another client's finished flow is not this one's room
        var now = 20L;

        bool TryNew(ushort port, out DropReason reason)
        {
            var key = Key(6, client: 1, port: port);
            return table.TryCreate(in key, Masqueraded(key), 1, 0, Syn, now++, out _, out reason);
        }

        Assert.False(TryNew(2000, out var refused));
        Assert.Equal(DropReason.ClientQuotaExceeded, refused);

        table.Observe(first, isReply: true, Seg(Rst | Ack), 40, now++);
        Assert.True(TryNew(2001, out _)); // the reset one made room
        Assert.False(Alive(table, Key(6, client: 1, port: 1000), now));

        Assert.False(TryNew(2002, out refused)); // both open again: no room
        Assert.Equal(DropReason.ClientQuotaExceeded, refused);
        Assert.True(Alive(table, Key(6, client: 1, port: 1001), now));
        Assert.True(Alive(table, Key(6, client: 1, port: 2001), now));

        var second = Open(table, Key(6, client: 3, port: 1000), Ack, client: 3);
        Assert.True(table.Lookup(Key(6, client: 1, port: 1001), now, out var entry, out _));
        table.Observe(entry, isReply: false, Seg(Fin | Ack), 40, now++);
        table.Observe(entry, isReply: true, Seg(Fin | Ack), 40, now++);
        table.Observe(entry, isReply: false, Seg(Ack), 40, now++);
        Assert.True(TryNew(2003, out _)); // the one now in TIME_WAIT made room
        Assert.False(Alive(table, Key(6, client: 1, port: 1001), now));
        Assert.True(Alive(table, Key(6, client: 2, port: 1000), now));
        Assert.True(table.Lookup(Key(6, client: 3, port: 1000), now, out var kept, out _));
        Assert.Equal(second, kept);
    }

    [Fact]
    public void one_client_cannot_push_out_the_flows_of_others()
    {
        var table = Table(capacity: 16, quota: 8);
        var others = Enumerable.Range(0, 8).Select(i => Key(6, client: 2, port: (ushort)(100 + i))).ToList();
        foreach (var key in others)
        {
            Open(table, key, Ack, client: 2);
        }

        var refused = 0;
        for (var i = 0; i < 1000; i++)
        {
            var flood = Key(6, client: 1, port: (ushort)(10_000 + i));
            if (!table.TryCreate(in flood, Masqueraded(flood), 1, 0, Syn, i, out _, out _))
            {
                refused++;
            }
        }

        Assert.Equal(992, refused);
        Assert.Equal(8, table.CountFor(1));
        Assert.All(others, key => Assert.True(Alive(table, key, 1000)));
    }

    [Fact]
    public void expired_flows_free_their_clients_quota()
    {
        var table = Table(capacity: 16, quota: 2);
        Open(table, Key(17, client: 1, port: 1), 0, client: 1);
        Open(table, Key(17, client: 1, port: 2), 0, client: 1);

        var third = Key(17, client: 1, port: 3);
        Assert.True(table.TryCreate(in third, Masqueraded(third), 1, 0, 0, 30_000, out _, out var reason), reason.ToString());
        Assert.Equal(1, table.CountFor(1));
    }

    [Fact]
    public void expire_sweeps_at_most_its_budget_per_call()
    {
        var table = Table(capacity: 64);
        for (var i = 0; i < 40; i++)
        {
            Open(table, Key(17, port: (ushort)(1000 + i)), 0);
        }
        Open(table, Key(6, port: 9), Ack);

        Assert.Equal(10, table.Expire(30_000, budget: 10));
        Assert.Equal(31, table.Count);
        var removed = 0;
        for (var call = 0; call < 10; call++)
        {
            removed += table.Expire(30_000, budget: 10);
        }
        Assert.Equal(30, removed);
        Assert.Equal(1, table.Count);
        Assert.Equal(0, table.Expire(30_000, budget: 100));
    }

    [Fact]
    public void remove_forgets_both_keys_and_the_clients_count()
    {
        var table = Table();
        var key = Key(6, client: 3);
        var entry = Open(table, key, client: 3);

        Assert.True(table.Remove(entry));

        Assert.False(Alive(table, key, 1));
        Assert.False(Alive(table, Masqueraded(key), 1));
        Assert.Equal(0, table.Count);
        Assert.Equal(0, table.CountFor(3));
        Assert.False(table.Remove(entry));
    }

    [Fact]
    public void remove_where_cuts_flows_in_both_directions_and_frees_their_nat_ports()
    {
        var table = Table(capacity: 64);
        var ports = new PortAllocator(table, new PortRange(3000, 3003), secret: 9);
        var flows = new List<(FlowKey Original, FlowKey Reply, int Client)>();
        for (var i = 0; i < 4; i++)
        {
            var client = i % 2;
            var original = Key(17, client, (ushort)(2000 + i));
            Assert.True(ports.TryAllocate(in original, Uplink, 0, out var reply, out _));
            Assert.True(table.TryCreate(in original, in reply, client, ruleIndex: client, 0, 0, out _, out _));
            flows.Add((original, reply, client));
        }
        var next = Key(17, 0, 2999);
        Assert.False(ports.TryAllocate(in next, Uplink, 0, out _, out _));

        var cut = table.Rejudge(0, flow => flow.Client == 1 ? -1 : flow.RuleIndex);

        Assert.Equal(2, cut);
        foreach (var (original, reply, client) in flows)
        {
            Assert.Equal(client == 0, Alive(table, original, 1));
            Assert.Equal(client == 0, Alive(table, reply, 1));
        }
        var freed = flows.Where(f => f.Client == 1).Select(f => f.Reply.DestinationPort).ToHashSet();
        Assert.True(ports.TryAllocate(in next, Uplink, 1, out var again, out _));
        Assert.Contains(again.DestinationPort, freed);
    }

    [Fact]
    public void for_each_visits_every_live_flow_once()
    {
        var table = Table();
        var entries = Enumerable.Range(0, 5).Select(i => Open(table, Key(17, port: (ushort)i), 0)).ToList();
        table.Remove(entries[2]);
        var seen = new List<int>();

        table.ForEach(flow => seen.Add(flow.Entry));

        Assert.Equal([entries[0], entries[1], entries[3], entries[4]], seen.Order());
    }

    [Fact]
    public void the_index_agrees_with_a_dictionary_through_random_churn()
    {
        // A tiny table and a constant hash seed force long probe runs and many backward shifts.
        Gen.Select(Gen.Int[0, 4].Array[1, 600], Gen.ULong).Sample((steps, seed) =>
        {
            var table = new ConnectionTable(new ConnectionLimits { Capacity = 32, PerClientQuota = 32 }, ConnectionTimeouts.Default, seed);
            var model = new Dictionary<FlowKey, (int Entry, bool Reply)>();
            var port = (ushort)0;
            foreach (var step in steps)
            {
                port++;
                if (step < 3 && table.Count < 32)
                {
                    var original = Key(17, port: port);
                    var reply = Masqueraded(original, salt: 7);
                    Assert.True(table.TryCreate(in original, in reply, 0, 0, 0, 0, out var entry, out _));
                    model[original] = (entry, false);
                    model[reply] = (entry, true);
                }
                else if (model.Count > 0)
                {
                    var (entry, _) = model.Values.ElementAt(model.Count / 2);
                    Assert.True(table.Remove(entry));
                    foreach (var key in model.Where(pair => pair.Value.Entry == entry).Select(pair => pair.Key).ToList())
                    {
                        model.Remove(key);
                    }
                }
                Assert.Equal(model.Count / 2, table.Count);
            }
            foreach (var (key, (entry, reply)) in model)
            {
                Assert.True(table.Lookup(in key, 0, out var found, out var isReply));
                Assert.Equal((entry, reply), (found, isReply));
            }
            for (var missing = 0; missing < 50; missing++)
            {
                var key = Key(6, port: (ushort)missing);
                Assert.False(table.Lookup(in key, 0, out _, out _));
            }
        }, iter: 300);
    }

    [Fact]
    public void an_entry_takes_208_bytes_and_the_default_table_13_MiB()
    {
        Assert.Equal(208, ConnectionTable.BytesPerEntry);
        var table = new ConnectionTable(new ConnectionLimits(), ConnectionTimeouts.Default);
        Assert.Equal(65_536, table.Capacity);
        Assert.Equal(16_384, table.PerClientQuota);
        Assert.Equal(65_536L * 208 + 1_024 * 4 * 2, table.MemoryBytes); // two counts per client: flows, finished ones
    }

    [Fact]
    public void the_default_quota_follows_the_capacity()
    {
        Assert.Equal(250, new ConnectionLimits { Capacity = 1000 }.PerClientQuota);
        Assert.Equal(7, new ConnectionLimits { Capacity = 1000, PerClientQuota = 7 }.PerClientQuota);
    }

    [Fact]
    public void impossible_limits_and_timeouts_are_refused_at_construction()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Table(capacity: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Table(quota: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Table(timeouts: ConnectionTimeouts.Default with { Close = TimeSpan.Zero }));
    }

    [Fact]
    public void a_client_index_beyond_the_limits_is_a_programming_error()
    {
        var table = Table();
        var key = Key(6);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.TryCreate(in key, key.Reversed(), 5_000, 0, Syn, 0, out _, out _));
    }
}
