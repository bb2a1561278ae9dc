using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// A packet that names a tracked flow's addresses and ports but not its sequence numbers is
/// dropped without an answer and leaves the flow as it was; the flow's own packets carry on.
/// </summary>
public class TcpSequenceWindowTests
{
    private const uint ClientIsn = 1000;
    private const uint RemoteIsn = 5000;
    private static readonly byte[] WindowScale7 = [3, 3, 7];

    private readonly EngineLab _lab = new(["action=accept proto=tcp dstports=443"]);
    private readonly ushort _natPort;

    public TcpSequenceWindowTests()
    {
        _natPort = _lab.Through(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn, sequence: ClientIsn, window: 64240, tcpOptions: WindowScale7), _lab.Work)
            .Info.SourcePort;
        Assert.True(FromRemote(TcpFlags.Syn | TcpFlags.Ack, RemoteIsn, ClientIsn + 1, window: 65160, tcpOptions: WindowScale7).Forwarded);
        Assert.True(FromClient(TcpFlags.Ack, ClientIsn + 1, RemoteIsn + 1).Forwarded);
    }

    private Sent FromClient(TcpFlags flags, uint seq, uint ack, int payload = 0) =>
        _lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 443, flags, payload: payload, sequence: seq, acknowledgement: ack, window: 502));

    private Sent FromRemote(TcpFlags flags, uint seq, uint ack, int payload = 0, ushort window = 509, byte[]? tcpOptions = null) =>
        _lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, _natPort, flags, payload: payload, sequence: seq, acknowledgement: ack, window: window,
            tcpOptions: tcpOptions));

    private ConnectionState State()
    {
        var key = new FlowKey(NetAddress.Parse(Work4), NetAddress.Parse(Remote4), IpProtocol.Tcp, 40000, 443);
        Assert.True(_lab.Engine.Connections.Lookup(key, _lab.Now, out var entry, out _));
        return _lab.Engine.Connections.StateOf(entry);
    }

    [Fact]
    public void a_blind_reset_from_the_uplink_is_dropped_unanswered_and_the_flow_stays_open()
    {
        var blind = FromRemote(TcpFlags.Rst | TcpFlags.Ack, RemoteIsn + 1 + 10_000_000, ClientIsn + 1);
        var data = FromRemote(TcpFlags.Ack | TcpFlags.Psh, RemoteIsn + 1, ClientIsn + 1, payload: 1_000);

        Assert.False(blind.Forwarded);
        Assert.Equal(DropReason.TcpOutOfWindow, blind.Reason);
        Assert.Empty(blind.Reply);
        Assert.Equal(1, _lab.Engine.Drops[(int)DropReason.TcpOutOfWindow]);
        Assert.True(data.Forwarded);
        Assert.Equal(ConnectionState.Established, State());
    }

    [Fact]
    public void injected_data_past_the_clients_window_does_not_reach_it()
    {
        // The client advertised 502 << 7 = 64,256 bytes.
        var injected = FromRemote(TcpFlags.Ack | TcpFlags.Psh, RemoteIsn + 1 + 64_257, ClientIsn + 1, payload: 100);
        var atTheEdge = FromRemote(TcpFlags.Ack | TcpFlags.Psh, RemoteIsn + 1 + 64_256, ClientIsn + 1, payload: 100);

        Assert.Equal(DropReason.TcpOutOfWindow, injected.Reason);
        Assert.True(atTheEdge.Forwarded);
    }

    [Fact]
    public void a_client_acknowledging_data_it_never_got_is_dropped()
    {
        var bogus = FromClient(TcpFlags.Ack, ClientIsn + 1, RemoteIsn + 1 + 500_000);

        Assert.Equal(DropReason.TcpOutOfWindow, bogus.Reason);
        Assert.True(FromClient(TcpFlags.Ack | TcpFlags.Psh, ClientIsn + 1, RemoteIsn + 1, payload: 200).Forwarded);
    }

    [Fact]
    public void an_in_window_reset_still_closes_the_flow()
    {
        var reset = FromRemote(TcpFlags.Rst | TcpFlags.Ack, RemoteIsn + 1, ClientIsn + 1);

        Assert.True(reset.Forwarded);
        Assert.Equal(ConnectionState.Close, State());
    }

    [Fact]
    public void the_window_scale_is_read_from_the_syns_options()
    {
        var syn = Packets.Tcp(Work4, Remote4, 40001, 443, TcpFlags.Syn, sequence: 1, window: 64240,
            tcpOptions: [2, 4, 5, 180, 4, 2, 1, 3, 3, 9]);
        Assert.True(PacketParser.TryParse(syn, out var info, out _));

        var sample = TcpSample.Read(syn, info);

        Assert.Equal(9, sample.WindowScale);
        Assert.Equal(1u, sample.Sequence);
        Assert.Equal(2u, sample.End);
        Assert.Equal(0, sample.PayloadLength);
    }

    [Theory]
    [InlineData(new byte[] { 3, 3, 20 }, 14)]
    [InlineData(new byte[] { 2, 4, 5, 180 }, -1)]
    [InlineData(new byte[] { 1, 1, 3, 3 }, -1)]
    [InlineData(new byte[] { 8, 0, 3, 3, 7 }, -1)]
    public void a_shift_above_14_is_taken_as_14_and_a_missing_or_broken_option_as_none(byte[] options, int expected)
    {
        var syn = Packets.Tcp(Work4, Remote4, 40001, 443, TcpFlags.Syn, tcpOptions: options);
        Assert.True(PacketParser.TryParse(syn, out var info, out _));

        Assert.Equal(expected, TcpSample.Read(syn, info).WindowScale);
    }
}
