using Lethe.PacketPath.Tests;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests.Nft.Conntrack;

/// <summary>What one firewall did with a flow so far: the port (or ICMP identifier) its first packet left with, and the client's last packet as it left.</summary>
internal sealed class FlowView
{
    public ushort? Translated;
    public byte[]? LastOut;
}

/// <summary>One packet of a flow's script: who sends it, what it is, and how to build it given what a firewall did with the flow so far.</summary>
internal sealed record ScriptStep(bool FromUplink, string Name, Func<FlowView, byte[]> Build);

/// <summary>
/// Random packet sequences of one flow each, both directions, as real ends send them and with the
/// mistakes and forgeries a firewall must judge: handshakes, data, FIN and RST (exact, in the window,
/// out of it), retransmissions, flags no TCP sends, unsolicited and late replies, echo identifiers
/// that do not match, and ICMP errors quoting the flow as it left each firewall.
/// </summary>
internal sealed class FlowScript
{
    public const string Client4 = "10.137.0.5";
    public const string Client6 = "fd09::5";
    public const string Uplink4 = "198.51.100.1";
    public const string Uplink6 = "2001:db8:ff::1";

    private readonly Random _random;
    private readonly bool _v6;
    private readonly string _client;
    private readonly string _uplink;
    private readonly string _remote;
    private readonly string _router;
    private readonly ushort _clientPort;
    private readonly ushort _remotePort;
    private readonly List<ScriptStep> _steps = [];

    // TCP: each end's next sequence number, as the end itself sees it, whatever the firewall passed.
    private uint _clientNext;
    private uint _remoteNext;
    private bool _synSent;
    private bool _synAckSent;
    private bool _scaled;
    private bool _handshakeAcked;
    private ushort _echoSequence;

    public FlowScript(Random random, ushort clientPort)
    {
        _random = random;
        _v6 = random.Next(2) == 0;
        _client = _v6 ? Client6 : Client4;
        _uplink = _v6 ? Uplink6 : Uplink4;
        _remote = _v6 ? new[] { "2001:db8:1::10", "2001:db8:1::11" }[random.Next(2)] : new[] { "192.0.2.10", "192.0.2.11" }[random.Next(2)];
        _router = _v6 ? "2001:db8:2::9" : "203.0.113.9";
        _clientPort = clientPort;
        _remotePort = new ushort[] { 80, 443, 53, 7000, 23, 24 }[random.Next(6)];
        _clientNext = (uint)random.NextInt64(0, uint.MaxValue);
        _remoteNext = (uint)random.NextInt64(0, uint.MaxValue);
        Protocol = random.Next(10) switch
        {
            < 6 => IpProtocol.Tcp,
            < 8 => IpProtocol.Udp,
            _ => _v6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp,
        };
        var length = random.Next(3, 15);
        for (var i = 0; i < length; i++)
        {
            switch (Protocol)
            {
                case IpProtocol.Tcp: TcpStep(i); break;
                case IpProtocol.Udp: UdpStep(i); break;
                default: EchoStep(i); break;
            }
        }
    }

    public byte Protocol { get; }

    public IReadOnlyList<ScriptStep> Steps => _steps;

    public string Describe => $"{(_v6 ? "v6" : "v4")} {Protocol} {_client}:{_clientPort} -> {_remote}:{_remotePort}";

    private ushort Port(FlowView view) => view.Translated ?? _clientPort;

    private void Add(bool fromUplink, string name, Func<FlowView, byte[]> build) => _steps.Add(new ScriptStep(fromUplink, name, build));

    private byte[] Tcp(bool fromUplink, FlowView view, TcpFlags flags, uint sequence, uint ack, int payload = 0, byte[]? options = null, ushort window = 65535) =>
        fromUplink
            ? Packets.Tcp(_remote, _uplink, _remotePort, Port(view), flags, payload, sequence: sequence, acknowledgement: ack, tcpOptions: options, window: window)
            : Packets.Tcp(_client, _remote, _clientPort, _remotePort, flags, payload, sequence: sequence, acknowledgement: ack, tcpOptions: options, window: window);

    private void TcpStep(int index)
    {
        var pick = _random.Next(100);
        if (index == 0)
        {
            if (pick < 80)
            {
                ClientSyn();
            }
            else if (pick < 90)
            {
                // Picked up midway: a bare ACK with data.
                var (s, a) = (_clientNext, _remoteNext);
                var n = _random.Next(0, 200);
                _clientNext += (uint)n;
                Add(false, $"c midway ack+{n}", v => Tcp(false, v, TcpFlags.Ack | (n > 0 ? TcpFlags.Psh : 0), s, a, n));
            }
            else
            {
                var s = _remoteNext;
                Add(true, "r unsolicited syn", v => Tcp(true, v, TcpFlags.Syn, s, 0));
            }
            return;
        }
        uint cs = _clientNext, rs = _remoteNext;
        if (_synSent && !_synAckSent && pick < 75)
        {
            RemoteSynAck(_random.Next(10) == 0);
            return;
        }
        if (_synAckSent && !_handshakeAcked && pick < 75)
        {
            _handshakeAcked = true;
            Add(false, "c handshake ack", v => Tcp(false, v, TcpFlags.Ack, cs, rs, window: (ushort)(_scaled ? 512 : 65535)));
            return;
        }
        pick = _random.Next(100);
        var wnd = (ushort)(_scaled ? 512 : 65535);
        switch (pick)
        {
            case < 14:
            {
                var n = _random.Next(0, 1200);
                _clientNext += (uint)n;
                Add(false, $"c data {n}", v => Tcp(false, v, TcpFlags.Ack | TcpFlags.Psh, cs, rs, n, window: wnd));
                break;
            }
            case < 28:
            {
                var n = _random.Next(0, 1200);
                _remoteNext += (uint)n;
                Add(true, $"r data {n}", v => Tcp(true, v, TcpFlags.Ack | TcpFlags.Psh, rs, cs, n, window: wnd));
                break;
            }
            case < 34:
                Add(false, "c ack", v => Tcp(false, v, TcpFlags.Ack, cs, rs, window: wnd));
                break;
            case < 38:
                Add(true, "r ack", v => Tcp(true, v, TcpFlags.Ack, rs, cs, window: wnd));
                break;
            case < 44:
                _clientNext++;
                Add(false, "c fin", v => Tcp(false, v, TcpFlags.Fin | TcpFlags.Ack, cs, rs, window: wnd));
                break;
            case < 50:
                _remoteNext++;
                Add(true, "r fin", v => Tcp(true, v, TcpFlags.Fin | TcpFlags.Ack, rs, cs, window: wnd));
                break;
            case < 54:
                Add(false, "c rst", v => Tcp(false, v, TcpFlags.Rst, cs, 0, window: 0));
                break;
            case < 58:
                Add(true, "r rst exact", v => Tcp(true, v, TcpFlags.Rst | TcpFlags.Ack, rs, cs, window: 0));
                break;
            case < 62:
            {
                var off = (uint)_random.Next(1, 40000);
                Add(true, $"r rst +{off}", v => Tcp(true, v, TcpFlags.Rst, rs + off, 0, window: 0));
                break;
            }
            case < 65:
                Add(true, "r rst far", v => Tcp(true, v, TcpFlags.Rst, rs + 0x80000000, 0, window: 0));
                break;
            case < 69:
            {
                var off = _random.Next(2) == 0 ? 300_000u : unchecked((uint)-300_000);
                Add(true, $"r data oow {(int)off}", v => Tcp(true, v, TcpFlags.Ack | TcpFlags.Psh, rs + off, cs, 100, window: wnd));
                break;
            }
            case < 72:
                Add(true, "r ack of unsent", v => Tcp(true, v, TcpFlags.Ack, rs, cs + 200_000, window: wnd));
                break;
            case < 75:
            {
                var n = _random.Next(1, 600);
                Add(false, $"c retransmit {n}", v => Tcp(false, v, TcpFlags.Ack | TcpFlags.Psh, cs - (uint)n, rs, n, window: wnd));
                break;
            }
            case < 78:
            {
                var flags = new[] { TcpFlags.Fin, (TcpFlags)0, TcpFlags.Syn | TcpFlags.Fin, TcpFlags.Syn | TcpFlags.Rst, TcpFlags.Fin | TcpFlags.Psh | TcpFlags.Urg }[_random.Next(5)];
                var up = _random.Next(2) == 0;
                Add(up, $"{(up ? "r" : "c")} flags {flags}", v => Tcp(up, v, flags, up ? rs : cs, up ? cs : rs, window: wnd));
                break;
            }
            case < 81:
                ClientSyn(_random.Next(2) == 0);
                break;
            case < 84:
                RemoteSynAck(_random.Next(4) == 0);
                break;
            case < 86:
                Add(true, "r syn", v => Tcp(true, v, TcpFlags.Syn, rs, 0));
                break;
            case < 94:
                TcpError(cs, _random.Next(5) == 0);
                break;
            default:
            {
                // The remote's answer after a long pause in the flow's numbers: a keepalive.
                Add(true, "r keepalive", v => Tcp(true, v, TcpFlags.Ack, rs - 1, cs, window: wnd));
                break;
            }
        }
    }

    private void ClientSyn(bool fresh = true)
    {
        if (fresh && _synSent)
        {
            _clientNext += 1_000_000;
        }
        else if (_synSent)
        {
            _clientNext--;
        }
        var s = _clientNext;
        _clientNext++;
        _synSent = true;
        var scale = _random.Next(3) == 0;
        _scaled |= scale;
        byte[] options = scale ? [2, 4, 5, 180, 1, 3, 3, 7] : [2, 4, 5, 180];
        Add(false, fresh ? "c syn" : "c syn again", v => Tcp(false, v, TcpFlags.Syn, s, 0, options: options));
    }

    private void RemoteSynAck(bool badAck)
    {
        if (_synAckSent)
        {
            _remoteNext--;
        }
        var s = _remoteNext;
        var a = badAck ? _clientNext + 77_777 : _clientNext;
        _remoteNext++;
        _synAckSent = true;
        byte[] options = _scaled ? [2, 4, 5, 180, 1, 3, 3, 7] : [2, 4, 5, 180];
        Add(true, badAck ? "r syn-ack bad ack" : "r syn-ack", v => Tcp(true, v, TcpFlags.Syn | TcpFlags.Ack, s, a, options: options));
    }

    private void TcpError(uint sequence, bool farSequence)
    {
        var seq = farSequence ? sequence + 0x40000000 : sequence;
        var (type, code, name) = ErrorKind();
        var fromRouter = _random.Next(2) == 0;
        Add(true, $"r icmp {name} about tcp{(farSequence ? " far seq" : "")}", v =>
        {
            var quoted = Packets.Tcp(_uplink, _remote, Port(v), _remotePort, TcpFlags.Ack, 20, sequence: seq);
            return Error(fromRouter ? _router : _remote, type, code, quoted);
        });
    }

    private (byte Type, byte Code, string Name) ErrorKind() => _random.Next(_v6 ? 4 : 3) switch
    {
        0 => _v6 ? ((byte)1, (byte)4, "port-unreachable") : ((byte)3, (byte)3, "port-unreachable"),
        1 => _v6 ? ((byte)3, (byte)0, "time-exceeded") : ((byte)11, (byte)0, "time-exceeded"),
        2 => _v6 ? ((byte)2, (byte)0, "packet-too-big") : ((byte)3, (byte)4, "frag-needed"),
        _ => UnassignedError(),
    };

    /// <summary>An ICMPv6 error of a type RFC 4443 leaves unassigned (0, 5-127): conntrack relates it to the flow it quotes like any error.</summary>
    private (byte Type, byte Code, string Name) UnassignedError() =>
        (_random.Next(4) == 0 ? (byte)0 : (byte)_random.Next(5, 128), (byte)_random.Next(3), "unassigned-error");

    private byte[] Error(string from, byte type, byte code, byte[] quoted) =>
        Packets.IcmpError(from, _uplink, type, code, quoted, restOfHeader: code == 4 && type == 3 || _v6 && type == 2 ? 1280u : 0u);

    private void UdpStep(int index)
    {
        var pick = index == 0 ? 0 : _random.Next(100);
        switch (pick)
        {
            case < 30:
            {
                var n = _random.Next(0, 500);
                Add(false, $"c udp {n}", v => Packets.Udp(_client, _remote, _clientPort, _remotePort, n));
                break;
            }
            case < 55:
            {
                var n = _random.Next(0, 500);
                Add(true, $"r udp {n}", v => Packets.Udp(_remote, _uplink, _remotePort, Port(v), n));
                break;
            }
            case < 62:
                Add(true, "r udp from other port", v => Packets.Udp(_remote, _uplink, (ushort)(_remotePort + 1), Port(v), 10));
                break;
            case < 67:
            {
                var other = _v6 ? "2001:db8:1::99" : "192.0.2.99";
                Add(true, "r udp from other host", v => Packets.Udp(other, _uplink, _remotePort, Port(v), 10));
                break;
            }
            case < 72:
                Add(true, "r udp to untranslated port", v => Packets.Udp(_remote, _uplink, _remotePort, (ushort)(Port(v) + 2), 10));
                break;
            case < 84:
            {
                var (type, code, name) = ErrorKind();
                var fromRouter = _random.Next(2) == 0;
                Add(true, $"r icmp {name} about udp", v =>
                    Error(fromRouter ? _router : _remote, type, code, v.LastOut ?? Packets.Udp(_uplink, _remote, Port(v), _remotePort, 10)));
                break;
            }
            case < 92:
            {
                // The client's port unreachable about the remote's datagram (the client's socket closed), or an IPv6 client's error of an unassigned type.
                var (type, code, name) = _v6 && _random.Next(3) == 0 ? UnassignedError() : (_v6 ? (byte)1 : (byte)3, _v6 ? (byte)4 : (byte)3, "port-unreachable");
                Add(false, $"c icmp {name} about reply", v =>
                {
                    var quoted = Packets.Udp(_remote, _client, _remotePort, _clientPort, 10);
                    return Packets.IcmpError(_client, _remote, type, code, quoted);
                });
                break;
            }
            default:
            {
                var port = (ushort)(_clientPort + 1);
                Add(false, "c udp from next port", v => Packets.Udp(_client, _remote, port, _remotePort, 10));
                break;
            }
        }
    }

    private void EchoStep(int index)
    {
        var pick = index == 0 ? _random.Next(20) : _random.Next(100);
        var id = _clientPort;
        var seq = _echoSequence;
        switch (pick)
        {
            case < 25:
                _echoSequence++;
                Add(false, $"c echo request {seq}", v => Packets.IcmpEcho(_client, _remote, id, seq, request: true, payload: 16));
                break;
            case < 50:
                Add(true, $"r echo reply {seq - 1}", v => Packets.IcmpEcho(_remote, _uplink, Port(v), (ushort)(seq - 1), request: false, payload: 16));
                break;
            case < 58:
                Add(true, "r echo reply wrong id", v => Packets.IcmpEcho(_remote, _uplink, (ushort)(Port(v) + 1), seq, request: false, payload: 16));
                break;
            case < 63:
            {
                var other = _v6 ? "2001:db8:1::99" : "192.0.2.99";
                Add(true, "r echo reply from other host", v => Packets.IcmpEcho(other, _uplink, Port(v), seq, request: false, payload: 16));
                break;
            }
            case < 68:
                Add(true, "r echo request with flow id", v => Packets.IcmpEcho(_remote, _uplink, Port(v), seq, request: true, payload: 16));
                break;
            case < 73:
                Add(false, "c echo reply", v => Packets.IcmpEcho(_client, _remote, id, seq, request: false, payload: 16));
                break;
            case < 88:
            {
                var (type, code, name) = ErrorKind();
                var fromRouter = _random.Next(2) == 0;
                Add(true, $"r icmp {name} about echo", v =>
                    Error(fromRouter ? _router : _remote, type, code, v.LastOut ?? Packets.IcmpEcho(_uplink, _remote, Port(v), seq, payload: 16)));
                break;
            }
            default:
                Add(true, "r icmp error quoting wrong id", v =>
                    Error(_router, _v6 ? (byte)3 : (byte)11, 0, Packets.IcmpEcho(_uplink, _remote, (ushort)(Port(v) + 1), seq, payload: 16)));
                break;
        }
    }
}
