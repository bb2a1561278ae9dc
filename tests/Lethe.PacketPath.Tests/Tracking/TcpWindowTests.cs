using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Tracking;

/// <summary>
/// A tracked TCP flow takes only segments inside its sequence window; a segment outside it is
/// refused and changes nothing. The server's initial sequence number sits just below 2^32, so
/// every conversation here crosses the wrap.
/// </summary>
public class TcpWindowTests
{
    private const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Ack = 0x10;
    private const uint ClientIsn = 1_000_000;
    private static readonly uint ServerIsn = 0xFFFF_F000;

    private static readonly FlowKey Original = new(NetAddress.Parse("10.137.0.5"), NetAddress.Parse("198.51.100.7"), 6, 40000, 443);
    private static readonly FlowKey Reply = PortAllocator.ReplyKey(6, NetAddress.Parse("192.0.2.1"), Original.Destination, 443, 40000);

    private readonly ConnectionTable _table = new(new ConnectionLimits { Capacity = 64 }, ConnectionTimeouts.Default, hashSeed: 3);

    private int Open(byte flags, TcpSample first)
    {
        Assert.True(_table.TryCreate(Original, Reply, 0, 0, flags, 0, out var entry, out var reason), reason.ToString());
        Assert.Equal(DropReason.None, _table.Observe(entry, false, first, 60, 0));
        return entry;
    }

    /// <summary>Whether the table takes the client's segment.</summary>
    private bool Client(int entry, byte flags, uint seq, uint ack, int length = 0, ushort window = 502, long at = 1) =>
        _table.Observe(entry, false, new TcpSample(flags, seq, ack, window, length), 40 + length, at) == DropReason.None;

    /// <summary>Whether the table takes the server's segment.</summary>
    private bool Server(int entry, byte flags, uint seq, uint ack, int length = 0, ushort window = 509, long at = 1) =>
        _table.Observe(entry, true, new TcpSample(flags, seq, ack, window, length), 40 + length, at) == DropReason.None;

    /// <summary>SYN and SYN-ACK, both offering <paramref name="clientScale"/> / <paramref name="serverScale"/>, then the client's ACK.</summary>
    private int Handshake(sbyte clientScale = 7, sbyte serverScale = 7, ushort clientSynWindow = 64240)
    {
        var entry = Open(Syn, new TcpSample(Syn, ClientIsn, 0, clientSynWindow, 0, clientScale));
        Assert.Equal(DropReason.None, _table.Observe(entry, true, new TcpSample(Syn | Ack, ServerIsn, ClientIsn + 1, 65160, 0, serverScale), 60, 1));
        Assert.True(Client(entry, Ack, ClientIsn + 1, ServerIsn + 1));
        Assert.Equal(ConnectionState.Established, _table.StateOf(entry));
        return entry;
    }

    [Fact]
    public void a_whole_conversation_with_super_packets_and_a_close_stays_inside_the_window()
    {
        var entry = Handshake();
        var c = ClientIsn + 1;
        var s = ServerIsn + 1;

        Assert.True(Client(entry, Ack | 0x08, c, s, length: 517));
        c += 517;
        // 502 << 7 = 64,256 bytes of window from the client: a 60,000-byte super-packet and more fit.
        Assert.True(Server(entry, Ack, s, c, length: 60_000));
        Assert.True(Server(entry, Ack, s + 60_000, c, length: 4_000));
        Assert.True(Client(entry, Ack, c, s + 64_000));
        s += 64_000;
        Assert.True(Server(entry, Ack, s, c, length: 1_448));
        Assert.True(Server(entry, Ack, s, c, length: 1_448)); // retransmitted
        s += 1_448;
        Assert.True(Client(entry, Fin | Ack, c, s));
        Assert.True(Server(entry, Fin | Ack, s, c + 1));
        Assert.True(Client(entry, Ack, c + 1, s + 1));

        Assert.Equal(ConnectionState.TimeWait, _table.StateOf(entry));
        Assert.Equal(6UL, _table.Get(entry).OriginalPackets);
    }

    [Fact]
    public void a_fast_open_servers_first_flight_before_the_clients_ack_passes_inside_the_window_of_the_syn()
    {
        // RFC 7413: the SYN carries the request, the SYN-ACK acknowledges it, and the server answers at
        // once; its segments reach the firewall before the client's ACK of the SYN-ACK does.
        var entry = Open(Syn, new TcpSample(Syn, ClientIsn, 0, 64240, 100, 7));
        var c = ClientIsn + 1 + 100;
        Assert.True(Server(entry, Syn | Ack, ServerIsn, c, window: 65160));
        var s = ServerIsn + 1;

        Assert.True(Server(entry, Ack, s, c, length: 1_448));
        Assert.True(Server(entry, Ack, s + 1_448, c, length: 1_448));
        // The SYN's window is not scaled: 64,240 bytes from the server's first byte on, and no further.
        Assert.False(Server(entry, Ack, s + 64_240 + 1, c, length: 100));
        Assert.True(Server(entry, Fin | Ack, s + 2_896, c));

        Assert.True(Client(entry, Ack, c, s + 2_897));
        Assert.Equal(ConnectionState.CloseWait, _table.StateOf(entry));
    }

    [Fact]
    public void data_starting_past_the_advertised_window_is_refused_and_changes_nothing()
    {
        var entry = Handshake();
        var before = _table.Get(entry);

        var refused = Server(entry, Ack, ServerIsn + 1 + 64_256 + 1, ClientIsn + 1, length: 100, at: 50);

        Assert.False(refused);
        Assert.Equal(before, _table.Get(entry));
        Assert.True(Server(entry, Ack, ServerIsn + 1 + 64_256, ClientIsn + 1, length: 100));
    }

    [Fact]
    public void a_blind_reset_does_not_close_the_flow_and_one_at_the_right_number_does()
    {
        var entry = Handshake();

        Assert.False(Server(entry, Rst | Ack, ServerIsn + 1 + 1_000_000, ClientIsn + 1));
        Assert.False(Server(entry, Rst, ServerIsn - 200_000, 0));
        Assert.Equal(ConnectionState.Established, _table.StateOf(entry));

        Assert.True(Server(entry, Rst | Ack, ServerIsn + 1, ClientIsn + 1));
        Assert.Equal(ConnectionState.Close, _table.StateOf(entry));
    }

    [Fact]
    public void acknowledging_data_never_sent_or_far_behind_is_refused()
    {
        var entry = Handshake();
        Assert.True(Client(entry, Ack, ClientIsn + 1, ServerIsn + 1, length: 1_000));

        Assert.False(Server(entry, Ack, ServerIsn + 1, ClientIsn + 1 + 5_000));
        Assert.False(Server(entry, Ack, ServerIsn + 1, ClientIsn - 100_000));
        Assert.True(Server(entry, Ack, ServerIsn + 1, ClientIsn + 1 + 1_000));
    }

    [Fact]
    public void data_more_than_a_window_back_is_refused()
    {
        var entry = Handshake();
        var c = ClientIsn + 1;
        for (var i = 0; i < 10; i++)
        {
            // The server's window: 509 << 7 = 65,152 bytes; each 60,000 acknowledged before the next.
            Assert.True(Client(entry, Ack, c, ServerIsn + 1, length: 60_000));
            c += 60_000;
            Assert.True(Server(entry, Ack, ServerIsn + 1, c));
        }

        Assert.False(Client(entry, Ack, c - 200_000, ServerIsn + 1, length: 1_000));
        Assert.True(Client(entry, Ack, c - 60_000, ServerIsn + 1, length: 60_000));
    }

    [Fact]
    public void windows_are_not_scaled_unless_both_syns_offered_it()
    {
        // The SYN's window, never scaled, as small as the ACK's: only the ACK's scaling is in question.
        var entry = Handshake(clientScale: 7, serverScale: -1, clientSynWindow: 502);

        // The client's 502 is 502 bytes: a segment starting 600 bytes in is past it.
        Assert.False(Server(entry, Ack, ServerIsn + 1 + 600, ClientIsn + 1, length: 100));
        Assert.True(Server(entry, Ack, ServerIsn + 1 + 500, ClientIsn + 1, length: 100));
    }

    [Fact]
    public void a_flow_picked_up_in_the_middle_is_not_checked()
    {
        var entry = Open(Ack, new TcpSample(Ack, 5, 7, 100, 10));

        Assert.True(Server(entry, Ack, 2_000_000_000, 3));
        Assert.True(Client(entry, Ack, 4_000_000_000, 9, length: 1_000));
        Assert.Equal(ConnectionState.Established, _table.StateOf(entry));
    }

    [Fact]
    public void a_syn_with_a_new_sequence_number_while_the_syn_ack_is_outstanding_passes_and_its_syn_ack_resynchronises()
    {
        // The SYN-ACK never reached the client, which tries again from the same port (Linux: ignored, passed on).
        var entry = Open(Syn, new TcpSample(Syn, ClientIsn, 0, 64240, 0, 7));
        Assert.True(Server(entry, Syn | Ack, ServerIsn, ClientIsn + 1));
        Assert.Equal(ConnectionState.SynReceived, _table.StateOf(entry));

        Assert.Equal(DropReason.None, _table.Observe(entry, false, new TcpSample(Syn, 3_000_000_000, 0, 64240, 0, 7), 60, 2));
        Assert.True(Server(entry, Syn | Ack, 123, 3_000_000_001));
        Assert.True(Client(entry, Ack, 3_000_000_001, 124));
        Assert.Equal(ConnectionState.Established, _table.StateOf(entry));
    }

    [Fact]
    public void a_reset_answering_the_syn_with_sequence_zero_ends_the_attempt()
    {
        var entry = Open(Syn, new TcpSample(Syn, ClientIsn, 0, 64240, 0, 7));

        Assert.True(Server(entry, Rst | Ack, 0, ClientIsn + 1, window: 0));

        Assert.Equal(ConnectionState.Close, _table.StateOf(entry));
    }

    [Theory]
    [InlineData(Rst, 0u)]
    [InlineData(Rst, ClientIsn + 1)]
    [InlineData(Rst | Ack, ClientIsn)]
    [InlineData(Rst | Ack, ClientIsn + 2)]
    [InlineData(Rst | Ack, 0u)]
    public void a_reset_that_does_not_acknowledge_the_syn_leaves_the_attempt_open(byte flags, uint ack)
    {
        // What the client's TCP drops in SYN-SENT (RFC 9293 §3.10.7.3): a blind reset guessing only the ports.
        var entry = Open(Syn, new TcpSample(Syn, ClientIsn, 0, 64240, 0, 7));

        Assert.Equal(DropReason.TcpOutOfWindow, _table.Observe(entry, true, new TcpSample(flags, ServerIsn, ack, 0, 0, -1), 60, 1));

        Assert.Equal(ConnectionState.SynSent, _table.StateOf(entry));
        Assert.True(Server(entry, Syn | Ack, ServerIsn, ClientIsn + 1));
        Assert.Equal(ConnectionState.SynReceived, _table.StateOf(entry));
    }

    [Fact]
    public void a_syn_ack_that_acknowledges_another_syn_is_refused_and_leaves_room_for_the_real_one()
    {
        var entry = Open(Syn, new TcpSample(Syn, ClientIsn, 0, 64240, 0, 7));

        Assert.Equal(DropReason.TcpOutOfWindow, _table.Observe(entry, true, new TcpSample(Syn | Ack, 77, ClientIsn + 100_000, 65160, 0, 7), 60, 1));
        Assert.Equal(ConnectionState.SynSent, _table.StateOf(entry));
        Assert.Equal(DropReason.None, _table.Observe(entry, true, new TcpSample(Syn | Ack, ServerIsn, ClientIsn + 1, 65160, 0, 7), 60, 2));
        Assert.Equal(ConnectionState.SynReceived, _table.StateOf(entry));
    }
}
