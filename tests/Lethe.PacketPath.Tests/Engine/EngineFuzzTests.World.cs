using System.Buffers.Binary;
using Lethe.Domain.Rules;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>The fuzzing's world: a firewall with flows set up, the cases it meets and every property checked of each outcome.</summary>
public sealed partial class EngineFuzzTests
{
    private sealed class World
    {
        private readonly EngineLab _lab;
        private readonly Random _rng;
        private readonly int _seed;
        private readonly Failures _failures;
        private readonly EngineOptions _options;
        private readonly Dictionary<FragmentKey, (NetAddress Source, NetAddress Destination, ushort Id)> _leftFragments = [];
        private readonly Dictionary<FlowKey, (int Client, PacketInfo Opening)> _opened = [];
        private int _version = 1;
        private readonly Dictionary<FlowKey, (NetAddress, ushort)> _leftAs = [];
        private ushort _nextPort = 20000;
        private uint _nextFragmentId = 0x10000;

        // Set up once per world: what left for each flow, and the NAT ports the remotes answer to.
        private readonly ushort _tcp4Port, _tcp6Port, _udp4Port, _udp6Port, _echo4Id, _echo6Id;
        private readonly byte[] _tcp4Left, _tcp6Left, _udp4Left, _udp6Left, _trace4Left, _echo6Left;
        private readonly byte[] _udp4Delivered, _udp6Delivered;
        private readonly string _out4, _out6;
        private readonly byte[] _tcp8443Left, _echo4Left, _personalLeft;
        private readonly ushort _personalPort;
        private readonly string _personalOut;
        private readonly ushort _tcp8443Port;

        private string _current = "";

        public World(int seed, Failures failures)
        {
            _seed = seed;
            _rng = new Random(seed);
            _failures = failures;
            _options = (seed % 5) switch
            {
                1 => Options with { UplinkV4 = null },
                2 => Options with { UplinkV6 = null },
                3 => Options with { SilentDrop = true, ClientMtu = 1400, UplinkMtu = 1280 },
                4 => Options with { NatPorts = new Lethe.PacketPath.Nat.PortRange(40000, 40015), Limits = new ConnectionLimits { Capacity = 256, PerClientQuota = 200 } },
                _ => Options,
            };
            _options = _options with { Seed = (ulong)seed, RepliesPerSecond = seed % 5 == 0 ? 50 : 1_000_000, ReplyBurst = seed % 5 == 0 ? 20 : 1_000_000 };
            _lab = new EngineLab(WorkRules, PersonalRules, _options);
            _current = $"world {seed} setup";

            _tcp4Left = Must(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn, sequence: 1000), _lab.Work);
            _tcp4Port = Packets.Parse(_tcp4Left).SourcePort;
            _out4 = Packets.Parse(_tcp4Left).Source.ToString();
            Must(Packets.Tcp(Remote4, _out4, 443, _tcp4Port, TcpFlags.Syn | TcpFlags.Ack, sequence: 5000, acknowledgement: 1001), Ingress.Uplink);
            Must(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Ack, sequence: 1001, acknowledgement: 5001), _lab.Work);

            _tcp6Left = Must(Packets.Tcp(Work6, Remote6, 40001, 443, TcpFlags.Syn, sequence: 1000, tcpOptions: [2, 4, 5, 0xA0, 1, 3, 3, 7]), _lab.Work);
            _tcp6Port = Packets.Parse(_tcp6Left).SourcePort;
            _out6 = Packets.Parse(_tcp6Left).Source.ToString();
            Must(Packets.Tcp(Remote6, _out6, 443, _tcp6Port, TcpFlags.Syn | TcpFlags.Ack, sequence: 5000, acknowledgement: 1001,
                tcpOptions: [2, 4, 5, 0xA0, 1, 3, 3, 7]), Ingress.Uplink);
            Must(Packets.Tcp(Work6, Remote6, 40001, 443, TcpFlags.Ack, sequence: 1001, acknowledgement: 5001), _lab.Work);

            _udp4Left = Must(Packets.Udp(Work4, Remote4, 5353, 53, payload: 30), _lab.Work);
            _udp4Port = Packets.Parse(_udp4Left).SourcePort;
            _udp4Delivered = Must(Packets.Udp(Remote4, _out4, 53, _udp4Port, payload: 60), Ingress.Uplink);

            _udp6Left = Must(Packets.Udp(Work6, Remote6, 5353, 53, payload: 30, extensionHeaders: [IpProtocol.DestinationOptions]), _lab.Work);
            _udp6Port = Packets.Parse(_udp6Left).SourcePort;
            _udp6Delivered = Must(Packets.Udp(Remote6, _out6, 53, _udp6Port, payload: 60), Ingress.Uplink);

            _echo4Left = Must(Packets.IcmpEcho(Work4, Remote4, id: 7, sequence: 1, payload: 32), _lab.Work);
            _echo4Id = Packets.Parse(_echo4Left).SourcePort;
            Must(Packets.IcmpEcho(Remote4, _out4, id: _echo4Id, sequence: 1, request: false, payload: 32), Ingress.Uplink);
            _echo6Left = Must(Packets.IcmpEcho(Work6, Remote6, id: 9, sequence: 1, payload: 32), _lab.Work);
            _echo6Id = Packets.Parse(_echo6Left).SourcePort;
            Must(Packets.IcmpEcho(Remote6, _out6, id: _echo6Id, sequence: 1, request: false, payload: 32), Ingress.Uplink);

            _trace4Left = Must(Packets.Udp(Work4, Remote4, 41000, 33434, payload: 24, ttl: 3), _lab.Work);

            _tcp8443Left = Must(Packets.Tcp(Work4, Remote4, 40002, 8443, TcpFlags.Syn, sequence: 1000), _lab.Work);
            _tcp8443Port = Packets.Parse(_tcp8443Left).SourcePort;
            Must(Packets.Tcp(Remote4, _out4, 8443, _tcp8443Port, TcpFlags.Syn | TcpFlags.Ack, sequence: 5000, acknowledgement: 1001), Ingress.Uplink);
            Must(Packets.Tcp(Work4, Remote4, 40002, 8443, TcpFlags.Ack, sequence: 1001, acknowledgement: 5001), _lab.Work);

            // Personal's connection from the same source port to the same remote service: NAT must tell the two apart.
            _personalLeft = Must(Packets.Tcp(Personal4, Remote4, 40000, 443, TcpFlags.Syn, sequence: 1000), _lab.Personal);
            _personalPort = Packets.Parse(_personalLeft).SourcePort;
            _personalOut = Packets.Parse(_personalLeft).Source.ToString();
            Must(Packets.Tcp(Remote4, _personalOut, 443, _personalPort, TcpFlags.Syn | TcpFlags.Ack, sequence: 5000, acknowledgement: 1001), Ingress.Uplink);
            Must(Packets.Tcp(Personal4, Remote4, 40000, 443, TcpFlags.Ack, sequence: 1001, acknowledgement: 5001), _lab.Personal);

            Must(Packets.Udp(Work4, Personal4, 5000, 5000, payload: 20), _lab.Work);
            Must(Packets.Udp(Personal4, Work4, 5000, 5000, payload: 20), _lab.Personal);
        }

        private long Now => _lab.Now;

        /// <summary>A valid packet that must pass: returns it as it left.</summary>
        private byte[] Must(byte[] packet, int ingress, Offload offload = default, bool mayBeFull = false)
        {
            var (result, output) = Run(new Case("valid", packet, ingress, offload), packet.Length);
            if (mayBeFull && result?.Reason is DropReason.NatPortsExhausted or DropReason.ConnectionTableFull or DropReason.ClientQuotaExceeded)
            {
                return packet;
            }
            if (result is not { Forwarded: true } outcome)
            {
                _failures.Add("a valid packet is not forwarded", $"{_current}: {Describe(packet, ingress, offload)} -> {result?.Reason}");
                return packet;
            }
            return output[..outcome.Length];
        }

        public void RunCase(int index)
        {
            _lab.Now += _rng.Next(0, 40);
            if (index % 200 == 199)
            {
                var variant = _rng.Next(WorkVariants.Length);
                _current = $"world {_seed} swap to variant {variant} before case {index + 1}";
                try
                {
                    _lab.Engine.Swap(Policy(WorkVariants[variant], PersonalRules, version: ++_version), Now);
                }
                catch (Exception e)
                {
                    _failures.Add($"Swap threw {e.GetType().Name}", $"{_current}: {e.Message}");
                }
            }
            var c = NextCase();
            var bytes = new byte[c.Bytes.Length + 24];
            c.Bytes.CopyTo(bytes, 0);
            var (length, mutation) = Mutate(bytes, c.Bytes.Length);
            _current = $"world {_seed} case {index} {c.Name} [{mutation}]";
            var ingress = _rng.Next(20) == 0 ? new[] { Ingress.Uplink, _lab.Work, _lab.Personal, Ingress.BySource, 7, -5 }[_rng.Next(6)] : c.Ingress;
            var offload = c.Offload;
            switch (_rng.Next(8))
            {
                case 0:
                    offload = new Offload(_rng.Next(2) == 0, SegmentSizes[_rng.Next(SegmentSizes.Length)]);
                    break;
                case 1 or 2:
                    // As the live path gets it: a virtio-net header, checked (and an inner checksum completed) as Worker.Handle does.
                    var header = RandomHeader(bytes.AsSpan(0, length));
                    _current += $" virtio {header}";
                    if (!FromVirtioHeader(header, bytes.AsSpan(0, length), out offload))
                    {
                        Count(c.Name + " (header refused)", null);
                        return;
                    }
                    break;
            }
            var (outcome, _) = Run(c with { Bytes = bytes, Ingress = ingress, Offload = offload }, length);
            Count(c.Name, outcome);
        }

        /// <summary>A virtio-net header with each field right for the packet, or zero, or anywhere up to past its end.</summary>
        private VirtioNetHeader RandomHeader(ReadOnlySpan<byte> packet)
        {
            var r = _rng;
            var parsed = PacketParser.TryParse(packet, out var info, out _);
            var t = parsed ? info.TransportOffset : 20;
            var field = parsed && info.Protocol == IpProtocol.Udp ? VirtioNetHeader.UdpChecksumOffset : VirtioNetHeader.TcpChecksumOffset;
            var gso = new[] { VirtioGsoType.None, VirtioGsoType.TcpV4, VirtioGsoType.TcpV6, VirtioGsoType.UdpL4, VirtioGsoType.Udp, (VirtioGsoType)2,
                VirtioGsoType.TcpV4 | VirtioGsoType.Ecn }[r.Next(7)];
            ushort Pick(params int[] choices) => (ushort)choices[r.Next(choices.Length)];
            return new VirtioNetHeader(
                (VirtioNetFlags)r.Next(4),
                gso,
                Pick(0, t + 20, packet.Length, 65535),
                Pick(0, 1, 8, 536, 1200, 1448, 1500, 9000, 65535, r.Next(65536)),
                Pick(t, t, t, 0, t + 8, t + 20, packet.Length - 1, packet.Length, 65535, r.Next(65536)),
                Pick(field, field, 16, 6, 0, 1, 2, 65535, r.Next(65536)));
        }

        /// <summary>What Worker.Handle does with a packet's header before the engine; false where it drops the packet.</summary>
        private static bool FromVirtioHeader(VirtioNetHeader header, Span<byte> packet, out Offload offload)
        {
            offload = default;
            if (PacketParser.TryParse(packet, out var info, out _) && !OffloadHeaderCheck.Fits(header, info))
            {
                if (!OffloadHeaderCheck.IsInnerChecksumOnly(header, info, packet) || !Segmentation.CompleteChecksum(header, packet[..info.TotalLength]))
                {
                    return false;
                }
                header = VirtioNetHeader.None;
            }
            offload = new Offload(header.NeedsChecksum, header.IsGso ? header.GsoSize : 0);
            return true;
        }

        /// <summary>
        /// One packet of each kind, cut to every length (every 17th past 300 bytes), then with its IP
        /// length field set to each length and its checksums made right again: the engine meets every
        /// length the header could claim.
        /// </summary>
        public int SweepLengths(int index)
        {
            var c = NextCase();
            var count = 0;
            for (var length = 0; length <= c.Bytes.Length; length += length < 300 ? 1 : 17)
            {
                _lab.Now += 1;
                var offload = _rng.Next(3) == 0 ? new Offload(_rng.Next(2) == 0, SegmentSizes[_rng.Next(SegmentSizes.Length)]) : c.Offload;
                _current = $"world {_seed} sweep {index} {c.Name} cut to {length}";
                Run(c with { Offload = offload }, length);
                var claimed = c.Bytes.AsSpan(0, length).ToArray();
                if (length >= 20)
                {
                    var v6 = claimed[0] >> 4 == 6;
                    BinaryPrimitives.WriteUInt16BigEndian(claimed.AsSpan(v6 ? 4 : 2), (ushort)(v6 ? Math.Max(0, length - 40) : length));
                    FixChecksums(claimed);
                }
                _current = $"world {_seed} sweep {index} {c.Name} cut to {length}, ip length set to it";
                Run(c with { Bytes = claimed, Offload = offload }, length);
                count += 2;
            }
            return count;
        }

        /// <summary>A new ping out and its reply back, over both families (every policy variant allows ICMP): the engine still works.</summary>
        public void Canary(int index)
        {
            _current = $"world {_seed} canary after case {index}";
            foreach (var (client, remote, uplink) in new[] { (Work4, Remote4, _options.UplinkV4), (Work6, Remote6, _options.UplinkV6) })
            {
                var id = _nextPort++;
                var left = Must(Packets.IcmpEcho(client, remote, id, 1, payload: 40), _lab.Work, mayBeFull: _seed % 5 == 4);
                var info = Packets.Parse(left);
                if (info.Source == NetAddress.Parse(client) && uplink is not null)
                {
                    continue; // no NAT identifier left in the small range: dropped as it should be
                }
                if (info.Source != (uplink ?? NetAddress.Parse(client)))
                {
                    _failures.Add("canary not translated", $"{_current}: left from {info.Source}");
                }
                var back = Must(Packets.IcmpEcho(remote, info.Source.ToString(), info.SourcePort, 1, request: false, payload: 40), Ingress.Uplink);
                var backInfo = Packets.Parse(back);
                if (backInfo.Destination != NetAddress.Parse(client) || backInfo.DestinationPort != id)
                {
                    _failures.Add("canary reply misrouted", $"{_current}: {backInfo.Destination} id {backInfo.DestinationPort}");
                }
            }
        }

        private Case NextCase()
        {
            var r = _rng;
            var sport = (ushort)r.Next(1024, 65536);
            var id = _nextFragmentId++;
            switch (r.Next(47))
            {
                case 0: return FromWork("tcp4 syn new", Packets.Tcp(Work4, Remote4, sport, 443, TcpFlags.Syn, sequence: (uint)r.Next()));
                case 1: return FromWork("tcp6 syn new", Packets.Tcp(Work6, Remote6, sport, 443, TcpFlags.Syn, tcpOptions: [2, 4, 5, 0xA0, 4, 2, 3, 3, 7]));
                case 2: return FromWork("tcp4 syn rejected", Packets.Tcp(Work4, Remote4, sport, 22, TcpFlags.Syn, payload: r.Next(3) * 10));
                case 3: return FromWork("tcp6 syn dropped", Packets.Tcp(Work6, Remote6, sport, 80, TcpFlags.Syn));
                case 4: return FromWork("tcp4 data", Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Ack | TcpFlags.Psh, payload: r.Next(0, 200),
                    sequence: 1001, acknowledgement: 5001, ipv4Options: r.Next(3) == 0 ? [1, 1, 1, 1] : null));
                case 5: return FromWork("tcp6 data", Packets.Tcp(Work6, Remote6, 40001, 443, TcpFlags.Ack | TcpFlags.Psh, payload: r.Next(0, 200),
                    sequence: 1001, acknowledgement: 5001, extensionHeaders: r.Next(2) == 0 ? [IpProtocol.DestinationOptions] : null));
                case 6: return FromWork("tcp4 fin/rst", Packets.Tcp(Work4, Remote4, 40000, 443,
                    r.Next(4) == 0 ? TcpFlags.Rst : TcpFlags.Fin | TcpFlags.Ack, sequence: 1001, acknowledgement: 5001));
                case 7: return FromWork("udp4 dns", Packets.Udp(Work4, Remote4, r.Next(2) == 0 ? (ushort)5353 : sport, 53, payload: r.Next(0, 300)));
                case 8:
                    byte[][] chains = [[IpProtocol.HopByHop, IpProtocol.DestinationOptions], [IpProtocol.Routing], [IpProtocol.Authentication],
                        [IpProtocol.Fragment], [IpProtocol.HopByHop, IpProtocol.Routing, IpProtocol.DestinationOptions, IpProtocol.Authentication], []];
                    return FromWork("udp6 dns ext", Packets.Udp(Work6, Remote6, r.Next(2) == 0 ? (ushort)5353 : sport, 53, payload: r.Next(0, 300),
                        extensionHeaders: chains[r.Next(chains.Length)]));
                case 9: return FromWork("udp4 tftp dropped", Packets.Udp(Work4, Remote4, sport, 69, payload: 20));
                case 10: return FromWork("icmp4 echo", Packets.IcmpEcho(Work4, Remote4, r.Next(2) == 0 ? (ushort)7 : sport, (ushort)r.Next(), payload: r.Next(0, 100)));
                case 11: return FromWork("icmp6 echo", Packets.IcmpEcho(Work6, Remote6, r.Next(2) == 0 ? (ushort)9 : sport, (ushort)r.Next(), payload: r.Next(0, 100)));
                case 12: return FromWork("udp4 ttl 1", Packets.Udp(Work4, Remote4, 5353, 53, payload: r.Next(0, 700), ttl: (byte)r.Next(0, 2)));
                case 13: return FromWork("tcp6 hop limit 1", Packets.Tcp(Work6, Remote6, 40001, 443, TcpFlags.Ack, payload: r.Next(0, 1400),
                    sequence: 1001, acknowledgement: 5001, ttl: 1));
                case 14: return FromWork("udp4 too big", Packets.Udp(Work4, Remote4, 5353, 53, payload: r.Next(1473, 3000), dontFragment: r.Next(4) != 0));
                case 15: return FromWork("udp6 too big", Packets.Udp(Work6, Remote6, 5353, 53, payload: r.Next(1453, 3000)));
                case 16:
                {
                    var mss = new[] { 1448, 1460, 1200, 536 }[r.Next(4)];
                    var tso = MakePartial(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Ack | TcpFlags.Psh, payload: mss * r.Next(2, 12),
                        sequence: 1001, acknowledgement: 5001, dontFragment: true));
                    return new Case("tcp4 tso", tso, _lab.Work, new Offload(true, mss));
                }
                case 17:
                {
                    var mss = new[] { 1428, 1440, 1232 }[r.Next(3)];
                    var tso = MakePartial(Packets.Tcp(Work6, Remote6, 40001, 443, TcpFlags.Ack | TcpFlags.Psh, payload: mss * r.Next(2, 12),
                        sequence: 1001, acknowledgement: 5001));
                    return new Case("tcp6 tso", tso, _lab.Work, new Offload(true, mss));
                }
                case 18:
                {
                    var size = new[] { 1400, 1472, 1000 }[r.Next(3)];
                    var uso = MakePartial(Packets.Udp(Work4, Remote4, 5353, 53, payload: size * r.Next(2, 8) - r.Next(0, size), dontFragment: true));
                    return new Case("udp4 uso", uso, _lab.Work, new Offload(true, size));
                }
                case 19:
                {
                    var partial = MakePartial(Packets.Udp(Work6, Remote6, 5353, 53, payload: r.Next(0, 1000)));
                    return new Case("udp6 partial csum", partial, _lab.Work, new Offload(true, 0));
                }
                case 20: return FromWork("icmp4 error from client", Packets.IcmpError(Work4, Remote4, IcmpV4Message.DestinationUnreachable,
                    IcmpV4Message.UnreachablePort, _udp4Delivered, quoteLength: r.Next(2) == 0 ? null : Math.Min(_udp4Delivered.Length, 28 + r.Next(0, 40))));
                case 21: return FromWork("icmp6 error from client", Packets.IcmpError(Work6, Remote6, IcmpV6Message.DestinationUnreachable,
                    IcmpV6Message.UnreachablePort, _udp6Delivered));
                case 22: return FragmentCase("udp4 fragment from client", Packets.Udp(Work4, Remote4, 5353, 53, payload: r.Next(1500, 4000)), 1480, _lab.Work, id);
                case 23: return FragmentCase("udp6 fragment from client", Packets.Udp(Work6, Remote6, 5353, 53, payload: r.Next(1500, 4000),
                    extensionHeaders: r.Next(2) == 0 ? [IpProtocol.HopByHop] : null), 1232, _lab.Work, id);
                case 24: return FromWork("udp4 to personal", Packets.Udp(Work4, Personal4, 5000, 5000, payload: r.Next(0, 200)));
                case 25: return new Case("udp4 personal reply", Packets.Udp(Personal4, Work4, 5000, 5000, payload: r.Next(0, 200)), _lab.Personal, default);
                case 26: return FromUplink("tcp4 reply data", Packets.Tcp(Remote4, _out4, 443, _tcp4Port, TcpFlags.Ack | TcpFlags.Psh, payload: r.Next(0, 1400),
                    sequence: 5001, acknowledgement: 1001));
                case 27: return FromUplink("tcp6 reply data", Packets.Tcp(Remote6, _out6, 443, _tcp6Port, TcpFlags.Ack | TcpFlags.Psh, payload: r.Next(0, 1400),
                    sequence: 5001, acknowledgement: 1001));
                case 28: return FromUplink("udp4 reply", Packets.Udp(Remote4, _out4, 53, _udp4Port, payload: r.Next(0, 1400)));
                case 29: return FromUplink("udp6 reply", Packets.Udp(Remote6, _out6, 53, _udp6Port, payload: r.Next(0, 1400),
                    extensionHeaders: r.Next(2) == 0 ? [IpProtocol.DestinationOptions] : null));
                case 30: return FromUplink("icmp4 echo reply", Packets.IcmpEcho(Remote4, _out4, _echo4Id, 1, request: false, payload: r.Next(0, 100)));
                case 31: return FromUplink("icmp6 echo reply", Packets.IcmpEcho(Remote6, _out6, _echo6Id, 1, request: false, payload: r.Next(0, 100)));
                case 32: return FromUplink("icmp4 time exceeded", Packets.IcmpError(Router4, _out4, IcmpV4Message.TimeExceeded, 0, _trace4Left));
                case 33: return FromUplink("icmp4 frag needed", Packets.IcmpError(Remote4, _out4, IcmpV4Message.DestinationUnreachable,
                    IcmpV4Message.UnreachableFragmentationNeeded, Pick(_tcp4Left, _udp4Left), restOfHeader: 1400,
                    quoteLength: r.Next(2) == 0 ? null : Math.Min(Pick(_tcp4Left, _udp4Left).Length, 28)));
                case 34: return FromUplink("icmp6 error", Packets.IcmpError(Router6, _out6, (byte)r.Next(1, 5), 0, Pick(_tcp6Left, _udp6Left, _echo6Left),
                    restOfHeader: 1280));
                case 35: return FragmentCase("udp4 fragmented reply", Packets.Udp(Remote4, _out4, 53, _udp4Port, payload: r.Next(1500, 4000)), 1480, Ingress.Uplink, id);
                case 36: return FragmentCase("udp6 fragmented reply", Packets.Udp(Remote6, _out6, 53, _udp6Port, payload: r.Next(1500, 4000)), 1232, Ingress.Uplink, id);
                case 37: return FromUplink("unsolicited", r.Next(2) == 0
                    ? Packets.Udp(Remote4, _out4, 53, sport, payload: 20)
                    : Packets.Tcp(Remote6, _out6, 443, sport, TcpFlags.Syn));
                case 38: return FromUplink("reply ttl 1 / too big", r.Next(2) == 0
                    ? Packets.Udp(Remote4, _out4, 53, _udp4Port, payload: 20, ttl: 1)
                    : Packets.Udp(Remote4, _out4, 53, _udp4Port, payload: 2000, dontFragment: true));
                case 39: return FromWork("tcp4 8443 data", Packets.Tcp(Work4, Remote4, 40002, 8443, TcpFlags.Ack | TcpFlags.Psh, payload: r.Next(0, 200),
                    sequence: 1001, acknowledgement: 5001));
                case 40: return FromUplink("tcp4 8443 reply", Packets.Tcp(Remote4, _out4, 8443, _tcp8443Port, TcpFlags.Ack | TcpFlags.Psh, payload: r.Next(0, 200),
                    sequence: 5001, acknowledgement: 1001));
                case 41: return FromUplink("icmp4 error 8443", Packets.IcmpError(Router4, _out4, IcmpV4Message.DestinationUnreachable,
                    IcmpV4Message.UnreachableHost, _tcp8443Left));
                case 42: return FromUplink("icmp4 error quoting echo", Packets.IcmpError(Router4, _out4, IcmpV4Message.TimeExceeded, 0, _echo4Left));
                case 43: return new Case("tcp4 personal data", Packets.Tcp(Personal4, Remote4, 40000, 443, TcpFlags.Ack | TcpFlags.Psh, payload: r.Next(0, 300),
                    sequence: 1001, acknowledgement: 5001), _lab.Personal, default);
                case 44: return FromUplink("tcp4 personal reply", Packets.Tcp(Remote4, r.Next(2) == 0 ? _personalOut : _out4, 443, r.Next(2) == 0 ? _personalPort : _tcp4Port,
                    TcpFlags.Ack | TcpFlags.Psh, payload: r.Next(0, 300), sequence: 5001, acknowledgement: 1001));
                case 45: return FromUplink("icmp4 error personal", Packets.IcmpError(Remote4, _personalOut, IcmpV4Message.DestinationUnreachable,
                    IcmpV4Message.UnreachableFragmentationNeeded, _personalLeft, restOfHeader: 1200));
                default:
                {
                    var partial = MakePartial(Packets.Tcp(Remote4, _out4, 443, _tcp4Port, TcpFlags.Ack, payload: 1448 * r.Next(1, 8),
                        sequence: 5001, acknowledgement: 1001, dontFragment: true));
                    return new Case("tcp4 reply gro", partial, Ingress.Uplink, new Offload(true, 1448));
                }
            }
        }

        private byte[] Pick(params byte[][] choices) => choices[_rng.Next(choices.Length)];

        private Case FromWork(string name, byte[] packet) => new(name, packet, _lab.Work, default);

        private Case FromUplink(string name, byte[] packet) => new(name, packet, Ingress.Uplink, default);

        /// <summary>A fresh datagram in fragments: those before the chosen one go through unmutated first, the chosen one is the case.</summary>
        private Case FragmentCase(string name, byte[] datagram, int size, int ingress, uint id)
        {
            var fragments = Packets.Fragments(datagram, size, id);
            var chosen = _rng.Next(fragments.Length);
            for (var i = 0; i < chosen; i++)
            {
                var previous = _current;
                _current = $"world {_seed} {name} fragment {i} (before the mutated one)";
                Run(new Case(name, fragments[i], ingress, default), fragments[i].Length);
                _current = previous;
            }
            return new Case($"{name} #{chosen}", fragments[chosen], ingress, default);
        }

        private (int Length, string How) Mutate(byte[] bytes, int length)
        {
            var r = _rng;
            var hows = new List<string>();
            var v6 = bytes[0] >> 4 == 6;
            var ipHeader = v6 ? 40 : (bytes[0] & 0x0F) * 4;
            var transport = PacketParser.TryParse(bytes, out var info, out _) ? info.TransportOffset : ipHeader;
            var steps = r.Next(0, 4);
            for (var s = 0; s < steps && length > 0; s++)
            {
                switch (r.Next(12))
                {
                    case 11 when length + 24 <= bytes.Length:
                    {
                        var extra = r.Next(1, 25);
                        r.NextBytes(bytes.AsSpan(length, extra));
                        length += extra;
                        hows.Add($"padded by {extra}");
                        break;
                    }
                    case 0:
                    {
                        var at = r.Next(length);
                        var bit = r.Next(8);
                        bytes[at] ^= (byte)(1 << bit);
                        hows.Add($"flip {at}.{bit}");
                        break;
                    }
                    case 1:
                    {
                        var at = r.Next(Math.Min(length, ipHeader));
                        bytes[at] = (byte)r.Next(256);
                        hows.Add($"ip[{at}]={bytes[at]:X2}");
                        break;
                    }
                    case 2:
                    {
                        var at = Math.Min(length - 1, transport + r.Next(20));
                        bytes[at] = (byte)r.Next(256);
                        hows.Add($"l4[{at}]={bytes[at]:X2}");
                        break;
                    }
                    case 3:
                    {
                        // Inside an ICMP error's quote: its IP header and first transport bytes.
                        var at = Math.Min(length - 1, transport + 8 + r.Next(v6 ? 56 : 36));
                        bytes[at] = (byte)r.Next(256);
                        hows.Add($"quote[{at}]={bytes[at]:X2}");
                        break;
                    }
                    case 4:
                        length = r.Next(0, length + 1);
                        hows.Add($"cut to {length}");
                        break;
                    case 5 when length >= 6:
                    {
                        var at = v6 ? 4 : 2;
                        var old = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(at));
                        var value = (ushort)(r.Next(3) switch { 0 => r.Next(65536), 1 => old + r.Next(1, 9), _ => old - r.Next(1, 9) });
                        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at), value);
                        hows.Add($"ip length {old}->{value}");
                        break;
                    }
                    case 6 when transport + 6 <= length:
                    {
                        var at = transport + 4;
                        var old = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(at));
                        var value = (ushort)(r.Next(2) == 0 ? r.Next(65536) : old + r.Next(-8, 9));
                        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at), value);
                        hows.Add($"l4[4..6] {old}->{value}");
                        break;
                    }
                    case 7 when transport + 13 <= length:
                        bytes[transport + 12] = (byte)(r.Next(16) << 4);
                        hows.Add($"tcp data offset {bytes[transport + 12] >> 4}");
                        break;
                    case 8 when !v6 && length >= 8:
                        bytes[6] = (byte)r.Next(256);
                        bytes[7] = (byte)r.Next(256);
                        hows.Add($"v4 flags/offset {bytes[6]:X2}{bytes[7]:X2}");
                        break;
                    case 9 when v6 && length > 41:
                        // An extension header's (or the transport's) first bytes: next header and length.
                        bytes[r.Next(2) == 0 ? 6 : 40] = new byte[] { 0, 43, 44, 51, 60, 6, 17, 58, 59, 50 }[r.Next(10)];
                        bytes[41] = (byte)r.Next(256);
                        hows.Add($"v6 chain {bytes[6]}/{bytes[40]}/{bytes[41]}");
                        break;
                    default:
                        hows.Add("none");
                        break;
                }
            }
            if (length >= 20 && r.Next(2) == 0)
            {
                FixChecksums(bytes.AsSpan(0, length));
                hows.Add("fixed checksums");
            }
            return (length, string.Join(", ", hows));
        }

        /// <summary>Recomputes the IPv4 header and transport checksums of what parses, so a mutation's meaning, not its checksum, is what the engine meets.</summary>
        private static void FixChecksums(Span<byte> bytes)
        {
            if (bytes[0] >> 4 == 4 && (bytes[0] & 0x0F) * 4 is var ihl and >= 20 && ihl <= bytes.Length)
            {
                BinaryPrimitives.WriteUInt16BigEndian(bytes[10..], 0);
                BinaryPrimitives.WriteUInt16BigEndian(bytes[10..], Checksum.Compute(bytes[..ihl]));
            }
            if (!PacketParser.TryParse(bytes, out var info, out _) || info.IsFragment)
            {
                return;
            }
            var transport = bytes[info.TransportOffset..info.TotalLength];
            switch (info.Protocol)
            {
                case IpProtocol.Tcp:
                    TcpSegment.Unchecked(transport).FillChecksum(info.Source, info.Destination);
                    break;
                case IpProtocol.Udp:
                    UdpDatagram.Unchecked(transport).FillChecksum(info.Source, info.Destination);
                    break;
                case IpProtocol.Icmp when info.Version == 4:
                    IcmpV4Message.Unchecked(transport).FillChecksum();
                    break;
                case IpProtocol.IcmpV6 when info.Version == 6:
                    IcmpV6Message.Unchecked(transport).FillChecksum(info.Source, info.Destination);
                    break;
            }
        }

        /// <summary>Processes one packet inside guard bytes and checks every property; null when it threw. Gives back the buffer as the engine left it.</summary>
        private (PacketOutcome? Outcome, byte[] Output) Run(Case c, int length)
        {
            var input = c.Bytes.AsSpan(0, length).ToArray();
            var packetArray = new byte[Guard + length + Guard];
            packetArray.AsSpan().Fill(GuardByte);
            input.CopyTo(packetArray.AsSpan(Guard));
            var replySize = ReplySizes[_rng.Next(ReplySizes.Length)];
            var replyArray = new byte[Guard + replySize + Guard];
            replyArray.AsSpan().Fill(GuardByte);
            var parsed = PacketParser.TryParse(input, out var pre, out var parseReason);
            var policy = _lab.Engine.Policy;
            var sender = c.Ingress == Ingress.BySource ? (parsed && policy.Compiled.FindClient(pre.Source) is var o and >= 0 ? o : Ingress.Uplink) : c.Ingress;
            var where = $"{_current}: {Describe(input, c.Ingress, c.Offload)} reply span {replySize}";

            PacketOutcome outcome;
            try
            {
                outcome = _lab.Engine.Process(packetArray.AsSpan(Guard, length), length, c.Ingress, Now, replyArray.AsSpan(Guard, replySize), c.Offload);
            }
            catch (Exception e)
            {
                _failures.Add($"Process threw {e.GetType().Name}", $"{where}\n    {e.Message}\n    {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
                return (null, input);
            }
            var output = packetArray.AsSpan(Guard, length);
            var result = (outcome, output.ToArray());

            // Nothing written outside the packet or the reply span.
            if (!GuardsIntact(packetArray, length) || !GuardsIntact(replyArray, replySize))
            {
                _failures.Add("wrote outside the packet or reply span", where);
            }
            if (outcome.Forwarded == (outcome.Reason != DropReason.None))
            {
                _failures.Add("forwarded and reason disagree", $"{where} -> {outcome.Forwarded} {outcome.Reason}");
            }
            if (!parsed)
            {
                if (outcome.Forwarded || outcome.Reason != parseReason)
                {
                    _failures.Add("an unparsable packet was not dropped with the parser's reason", $"{where} -> {outcome.Reason} (parser: {parseReason})");
                }
                else if (outcome.ReplyLength != 0 && !IsOptionProblemAnswer(replyArray.AsSpan(Guard, outcome.ReplyLength), input, c.Ingress, outcome))
                {
                    _failures.Add("an unparsable packet was answered, other than a client's with options Linux refuses",
                        $"{where} -> {outcome.Reason}\n    reply {Hex(replyArray.AsSpan(Guard, outcome.ReplyLength).ToArray())}");
                }
                return result;
            }
            if (outcome.ReplyLength < 0 || outcome.ReplyLength > replySize)
            {
                _failures.Add("reply length beyond the reply span", $"{where} -> {outcome.ReplyLength}");
            }
            else if (outcome.ReplyLength > 0)
            {
                CheckReply(replyArray.AsSpan(Guard, outcome.ReplyLength), input, pre, sender, outcome, where);
            }
            // Bytes after the IP total length are never touched.
            if (!output[pre.TotalLength..].SequenceEqual(input.AsSpan(pre.TotalLength)))
            {
                _failures.Add("wrote past the IP total length", where);
            }
            if (outcome.Forwarded)
            {
                CheckForwarded(output, input, pre, sender, c, outcome, where);
            }
            return result;
        }

        private static bool GuardsIntact(byte[] array, int inner) =>
            !array.AsSpan(0, Guard).ContainsAnyExcept(GuardByte) && !array.AsSpan(Guard + inner).ContainsAnyExcept(GuardByte);

        private void CheckForwarded(Span<byte> output, byte[] input, PacketInfo pre, int sender, Case c, PacketOutcome outcome, string where)
        {
            var policy = _lab.Engine.Policy;
            var compiled = policy.Compiled;
            if (outcome.Length != pre.TotalLength || outcome.Length > input.Length)
            {
                _failures.Add("forwarded length is not the IP total length", $"{where} -> {outcome.Length} (total {pre.TotalLength})");
                return;
            }
            var sent = output[..outcome.Length].ToArray();
            if (!PacketParser.TryParse(sent, out var post, out var reason))
            {
                _failures.Add("what leaves does not parse", $"{where} -> {reason}\n    out {Hex(sent)}");
                return;
            }
            if (post.TotalLength != outcome.Length || post.Version != pre.Version || post.Protocol != pre.Protocol
                || post.IsFragment != pre.IsFragment || post.FragmentOffset != pre.FragmentOffset || post.TransportOffset != pre.TransportOffset)
            {
                _failures.Add("what leaves is another kind of packet", $"{where}\n    out {Hex(sent)}");
            }
            if (pre.HopLimit <= 1 || post.HopLimit != pre.HopLimit - 1)
            {
                _failures.Add("hop limit not decremented or expired packet forwarded", $"{where} -> hop limit {pre.HopLimit} -> {post.HopLimit}");
            }
            if (post.Source.IsNeverForwarded || post.Destination.IsNeverForwarded || pre.Source.IsNeverForwarded || pre.Destination.IsNeverForwarded)
            {
                _failures.Add("a never-forwarded address was forwarded", where);
            }

            // Route: a client's egress owns the destination; the uplink's egress owns none.
            var owner = compiled.FindClient(post.Destination);
            if (outcome.Egress >= 0 ? owner != outcome.Egress : outcome.Egress != Ingress.Uplink || owner >= 0)
            {
                _failures.Add("egress does not match the destination", $"{where} -> egress {outcome.Egress}, destination {post.Destination} owned by {owner}");
            }
            if (sender == Ingress.Uplink && outcome.Egress < 0)
            {
                _failures.Add("uplink packet sent back to the uplink", where);
            }
            if (sender >= 0 && outcome.Egress == Ingress.Uplink && post.Source != ((post.Version == 6 ? _options.UplinkV6 : _options.UplinkV4) ?? pre.Source))
            {
                _failures.Add("a client's packet left the uplink untranslated", $"{where} -> source {post.Source}");
            }

            // MTU: each segment the packet becomes fits the egress device.
            var segment = (long)post.TotalLength;
            if (c.Offload.SegmentPayload > 0 && !post.IsFragment && post.Protocol is IpProtocol.Tcp or IpProtocol.Udp)
            {
                var headers = post.TransportOffset + (post.Protocol == IpProtocol.Tcp ? (sent[post.TransportOffset + 12] >> 4) * 4 : 8);
                segment = Math.Min(post.TotalLength, headers + (long)c.Offload.SegmentPayload);
            }
            var mtu = outcome.Egress == Ingress.Uplink ? _options.UplinkMtu : _options.ClientMtu;
            // IPv4 without DF leaves in fragments of the MTU, cut by the caller; nothing else is cut.
            var measured = c.Offload.SegmentPayload <= 0 || post.Protocol is IpProtocol.Tcp or IpProtocol.Udp;
            var cut = post.Version == 4 && !post.DontFragment && segment > mtu;
            if (measured && outcome.FragmentMtu != (cut ? mtu : 0))
            {
                _failures.Add("fragments asked for where none are due, or of another MTU", $"{where} -> fragment MTU {outcome.FragmentMtu}, segments of {segment} bytes, MTU {mtu}");
            }
            if (measured && segment > mtu && !cut)
            {
                var kind = c.Offload.SegmentPayload > 65535 ? " (segment size beyond 65535)" : post.IsFragment && c.Offload.SegmentPayload > 0 ? " (a fragment with a segment size)" : "";
                _failures.Add("forwarded past the egress MTU" + kind, $"{where} -> segments of {segment} bytes (total {post.TotalLength}, gso {c.Offload.SegmentPayload})");
            }

            CheckChecksums(input, pre, sent, post, c, where);
            CheckAllowed(input, pre, sent, post, sender, outcome, where);
        }

        private void CheckChecksums(byte[] input, PacketInfo pre, byte[] sent, PacketInfo post, Case c, string where)
        {
            if (pre.Version == 4 && HeaderSumOk(input) && !HeaderSumOk(sent))
            {
                _failures.Add("IPv4 header checksum broken by the engine", $"{where}\n    out {Hex(sent)}");
            }
            var partial = c.Offload.PartialChecksum;
            if (partial)
            {
                // Partial: the field holds the pseudo-header sum of the addresses it leaves with.
                if (!pre.IsFragment && pre.Protocol is IpProtocol.Tcp or IpProtocol.Udp && PartialOk(input, pre) && !PartialOk(sent, post))
                {
                    _failures.Add("partial checksum not moved with the addresses", $"{where}\n    out {Hex(sent)}");
                }
                return;
            }
            if (TransportSumOk(input, pre) == true && TransportSumOk(sent, post) == false)
            {
                _failures.Add($"{ProtocolName(pre)} checksum broken by the engine", $"{where}\n    out {Hex(sent)}");
            }
            if (pre.IsIcmpError && pre.Version == 4 && QuotedHeaderSumOk(input, pre) == true && QuotedHeaderSumOk(sent, post) == false)
            {
                _failures.Add("quoted IPv4 header checksum broken by the engine", $"{where}\n    out {Hex(sent)}");
            }
            if (pre.IsIcmpError && QuotedTransportSumOk(input, pre) == true && QuotedTransportSumOk(sent, post) == false)
            {
                _failures.Add("quoted transport checksum broken by the engine", $"{where}\n    out {Hex(sent)}");
            }
        }

        private void CheckAllowed(byte[] input, PacketInfo pre, byte[] sent, PacketInfo post, int sender, PacketOutcome outcome, string where)
        {
            var policy = _lab.Engine.Policy;
            var laterFragment = pre.IsFragment && (pre.FragmentOffset != 0 || pre.Protocol == IpProtocol.Tcp || pre.IsIcmpError);
            var leaving = (post.Source, post.Destination, post.Version == 4 ? BinaryPrimitives.ReadUInt16BigEndian(sent.AsSpan(4)) : (ushort)0);
            if (laterFragment)
            {
                if (!_leftFragments.TryGetValue(FragmentKey.From(pre), out var first))
                {
                    _failures.Add("a later fragment passed without its first", where);
                }
                else if (first != leaving)
                {
                    _failures.Add("a later fragment left with other addresses or identification than its first", $"{where} -> {leaving}, first {first}");
                }
                return;
            }
            if (pre.IsFragment)
            {
                _leftFragments[FragmentKey.From(pre)] = leaving;
            }
            if (pre.IsIcmpError)
            {
                // About a flow some client opened: as quoted before (from a client) or after (from the uplink) translation.
                var (bytes, info) = sender >= 0 ? (input, pre) : (sent, post);
                if (!NatRewriter.TryReadQuotedFlow(bytes, info, out var quoted) || !(_opened.ContainsKey(quoted) || _opened.ContainsKey(quoted.Reversed())))
                {
                    _failures.Add("an ICMP error about no allowed flow was forwarded", $"{where}\n    out {Hex(sent)}");
                    return;
                }
                StillAllowed(_opened.TryGetValue(quoted, out var about) ? about : _opened[quoted.Reversed()], where);
                return;
            }
            if (sender >= 0 && outcome.NewFlow)
            {
                var verdict = policy.Compiled.ClassifyLinear(sender, pre, Now / 1000, policy.Hosts);
                if (verdict.Action != RuleAction.Accept)
                {
                    _failures.Add("a new flow the policy denies was forwarded", $"{where} -> rule {verdict.RuleIndex} says {verdict.Action}");
                }
                _opened[FlowKey.From(pre)] = (sender, pre);
                _leftAs[FlowKey.From(pre)] = (post.Source, post.SourcePort);
                return;
            }
            if (sender >= 0)
            {
                var key = FlowKey.From(pre);
                if (_opened.TryGetValue(key, out var flow) || _opened.TryGetValue(key.Reversed(), out flow))
                {
                    StillAllowed(flow, where);
                    if (_leftAs.TryGetValue(key, out var first) && first != (post.Source, post.SourcePort))
                    {
                        _failures.Add("a flow's packet left with another address or port than its first", $"{where} -> {post.Source}:{post.SourcePort}, first {first}");
                    }
                }
                else
                {
                    _failures.Add("a client's packet of no opened flow was forwarded", $"{where} key {key}");
                }
                return;
            }
            // From the uplink, once translated back: the reply of a flow a client opened.
            if (_opened.TryGetValue(FlowKey.From(post).Reversed(), out var answered))
            {
                StillAllowed(answered, where);
            }
            else
            {
                _failures.Add("an uplink packet that answers no opened flow was forwarded", $"{where} -> {FlowKey.From(post)}");
            }
        }

        /// <summary>A flow that carries a packet is one the policy in force allows now: swaps and expired rules cut the others.</summary>
        private void StillAllowed((int Client, PacketInfo Opening) flow, string where)
        {
            var policy = _lab.Engine.Policy;
            var verdict = policy.Compiled.ClassifyLinear(flow.Client, flow.Opening, Now / 1000, policy.Hosts);
            if (verdict.Action != RuleAction.Accept)
            {
                _failures.Add("a packet of a flow the policy no longer allows was forwarded",
                    $"{where} -> flow {FlowKey.From(flow.Opening)} of client {flow.Client}, now rule {verdict.RuleIndex} says {verdict.Action}");
            }
        }

        /// <summary>
        /// The one answer to a packet that does not parse: a parameter problem to a client that sent IPv4
        /// options Linux refuses, from the firewall, pointing where Linux would, quoting the packet.
        /// </summary>
        private bool IsOptionProblemAnswer(ReadOnlySpan<byte> reply, byte[] input, int ingress, PacketOutcome outcome)
        {
            var pointer = Ipv4Packet.OptionProblemPointer(input);
            if (outcome.Reason is not (DropReason.BadHeaderLength or DropReason.SourceRouted) || pointer < 0 || reply.Length < 28)
            {
                return false;
            }
            var source = NetAddress.FromV4Bytes(input.AsSpan(12, 4));
            var client = _lab.Engine.Policy.Compiled.FindClient(source);
            var total = BinaryPrimitives.ReadUInt16BigEndian(input.AsSpan(2));
            var quote = Math.Min((int)total, 576 - 28);
            var icmp = reply[20..];
            return client >= 0 && (ingress == client || ingress == Ingress.BySource) && outcome.ReplyEgress == client && outcome.Client == client
                && reply[0] == 0x45 && reply[9] == IpProtocol.Icmp && Ipv4Packet.Unchecked(reply.ToArray()).VerifyHeaderChecksum()
                && NetAddress.FromV4Bytes(reply.Slice(12, 4)) == (_options.UplinkV4 ?? NetAddress.FromV4Bytes(input.AsSpan(16, 4))) && NetAddress.FromV4Bytes(reply.Slice(16, 4)) == source
                && reply.Length == 28 + quote && icmp[0] == IcmpV4Message.ParameterProblem && icmp[1] == 0 && icmp[4] == pointer
                && icmp[5] == 0 && icmp[6] == 0 && icmp[7] == 0 && icmp[8..].SequenceEqual(input.AsSpan(0, quote))
                && IcmpV4Message.Unchecked(icmp.ToArray()).VerifyChecksum();
        }

        private void CheckReply(Span<byte> reply, byte[] input, PacketInfo pre, int sender, PacketOutcome outcome, string where)
        {
            var bytes = reply.ToArray();
            if (!PacketParser.TryParse(bytes, out var info, out var reason) || info.TotalLength != bytes.Length)
            {
                // An error about a packet with fewer than 8 bytes after its IP header quotes all of it, which
                // RFC 792 and 4443 allow, but the parser wants 8 quoted transport bytes: checked by hand.
                if (pre.TotalLength - (pre.Version == 6 ? 40 : (input[0] & 0x0F) * 4) >= 8 || !ShortQuoteErrorIsWellFormed(bytes, input, pre))
                {
                    _failures.Add("the firewall's answer does not parse", $"{where} -> {reason}\n    reply {Hex(bytes)}");
                }
                return;
            }
            if (outcome.ReplyEgress != sender)
            {
                _failures.Add("the answer goes elsewhere than to the sender", $"{where} -> reply egress {outcome.ReplyEgress}, sender {sender}");
            }
            if (info.Destination != pre.Source)
            {
                _failures.Add("the answer is addressed to another than the sender", $"{where} -> to {info.Destination}");
            }
            if (pre.IsIcmpError)
            {
                _failures.Add("the firewall answered an ICMP error", where);
            }
            var firewall = pre.Version == 6 ? _options.UplinkV6 : _options.UplinkV4;
            if (info.Protocol != IpProtocol.Tcp && info.Source != firewall && !(firewall is null && info.Source == pre.Destination))
            {
                _failures.Add("the answer comes from an address not the firewall's", $"{where} -> from {info.Source}");
            }
            var expectedType = outcome.Reason switch
            {
                DropReason.TooBig => pre.Version == 6 ? "2/0" : "3/4",
                DropReason.TtlExceeded => pre.Version == 6 ? "3/0" : "11/0",
                DropReason.RuleReject when info.Protocol == IpProtocol.Tcp => "rst",
                DropReason.NoRuleMatched or DropReason.RuleDrop or DropReason.RuleReject or DropReason.ClientIsolated or DropReason.DsthostUnresolved
                    => pre.Version == 6 ? "1/1" : "3/13",
                _ => "none",
            };
            var actualType = info.Protocol == IpProtocol.Tcp ? "rst" : $"{info.IcmpType}/{info.IcmpCode}";
            if (outcome.Forwarded || expectedType != actualType)
            {
                _failures.Add("the answer does not match why the packet was dropped", $"{where} -> {outcome.Reason} answered with {actualType}");
            }
            if (outcome.Reason == DropReason.TooBig)
            {
                var said = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(info.TransportOffset + 4)) & (pre.Version == 6 ? uint.MaxValue : 0xFFFF);
                if (said != (uint)_options.UplinkMtu && said != (uint)_options.ClientMtu)
                {
                    _failures.Add("the too-big answer names another MTU", $"{where} -> {said}");
                }
            }
            if (info.Version == 4 && !HeaderSumOk(bytes) || TransportSumOk(bytes, info) != true)
            {
                _failures.Add("the answer's checksums are wrong", $"{where}\n    reply {Hex(bytes)}");
            }
            if (info.IsIcmpError)
            {
                var quote = bytes.AsSpan(info.EmbeddedOffset);
                var expected = input.AsSpan(0, Math.Min(pre.TotalLength, quote.Length));
                if (quote.Length > pre.TotalLength || !quote.SequenceEqual(expected))
                {
                    _failures.Add("the answer does not quote the packet as it was sent", $"{where}\n    reply {Hex(bytes)}");
                }
            }
            else if (info.Protocol == IpProtocol.Tcp)
            {
                var rst = TcpSegment.Unchecked(bytes.AsSpan(info.TransportOffset));
                var segment = TcpSegment.Unchecked(input.AsSpan(pre.TransportOffset, pre.TotalLength - pre.TransportOffset));
                var flags = (TcpFlags)pre.TcpFlags;
                var consumed = (uint)segment.Payload.Length + ((flags & TcpFlags.Syn) != 0 ? 1u : 0) + ((flags & TcpFlags.Fin) != 0 ? 1u : 0);
                var right = (flags & TcpFlags.Ack) != 0
                    ? rst.Flags == TcpFlags.Rst && rst.SequenceNumber == segment.AcknowledgementNumber
                    : rst.Flags == (TcpFlags.Rst | TcpFlags.Ack) && rst.SequenceNumber == 0 && rst.AcknowledgementNumber == segment.SequenceNumber + consumed;
                if (pre.Protocol != IpProtocol.Tcp || info.SourcePort != pre.DestinationPort || info.DestinationPort != pre.SourcePort
                    || info.Source != pre.Destination || !right)
                {
                    _failures.Add("the reset does not answer the segment", $"{where}\n    reply {Hex(bytes)}");
                }
            }
        }

        private static bool ShortQuoteErrorIsWellFormed(byte[] reply, byte[] input, in PacketInfo pre)
        {
            var v6 = pre.Version == 6;
            var header = v6 ? 40 : 20;
            if (reply.Length != header + 8 + pre.TotalLength || reply[0] >> 4 != pre.Version
                || !reply.AsSpan(header + 8).SequenceEqual(input.AsSpan(0, pre.TotalLength)))
            {
                return false;
            }
            if (v6)
            {
                var from = NetAddress.FromV6Bytes(reply.AsSpan(8, 16));
                return BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(4)) == reply.Length - 40 && reply[6] == IpProtocol.IcmpV6
                    && NetAddress.FromV6Bytes(reply.AsSpan(24, 16)) == pre.Source
                    && IcmpV6Message.Unchecked(reply.AsSpan(40)).VerifyChecksum(from, pre.Source);
            }
            return reply[0] == 0x45 && HeaderSumOk(reply) && BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(2)) == reply.Length
                && reply[9] == IpProtocol.Icmp && NetAddress.FromV4Bytes(reply.AsSpan(16, 4)) == pre.Source
                && IcmpV4Message.Unchecked(reply.AsSpan(20)).VerifyChecksum();
        }

        private static bool HeaderSumOk(ReadOnlySpan<byte> packet) => Checksum.Compute(packet[..((packet[0] & 0x0F) * 4)]) == 0;

        /// <summary>The transport checksum verifies; null where it cannot be checked (a fragment, an unknown protocol).</summary>
        private static bool? TransportSumOk(byte[] packet, in PacketInfo info)
        {
            if (info.IsFragment)
            {
                return null;
            }
            var transport = packet.AsSpan(info.TransportOffset, info.TotalLength - info.TransportOffset);
            return info.Protocol switch
            {
                IpProtocol.Tcp => TcpSegment.Unchecked(transport).VerifyChecksum(info.Source, info.Destination),
                IpProtocol.Udp => UdpDatagram.TryParse(transport, out var udp, out _) && udp.VerifyChecksum(info.Source, info.Destination),
                IpProtocol.Icmp when info.Version == 4 => IcmpV4Message.Unchecked(transport).VerifyChecksum(),
                IpProtocol.IcmpV6 when info.Version == 6 => IcmpV6Message.Unchecked(transport).VerifyChecksum(info.Source, info.Destination),
                _ => null,
            };
        }

        /// <summary>The quoted packet's own transport checksum, when the quote holds all of it; null otherwise.</summary>
        private static bool? QuotedTransportSumOk(byte[] packet, in PacketInfo info)
        {
            var quote = packet[info.EmbeddedOffset..info.TotalLength];
            if (!PacketParser.TryParse(quote, out var inner, out _) || inner.IsIcmpError)
            {
                return null;
            }
            return TransportSumOk(quote, inner);
        }

        private static bool? QuotedHeaderSumOk(byte[] packet, in PacketInfo info)
        {
            var eo = info.EmbeddedOffset;
            var ihl = (packet[eo] & 0x0F) * 4;
            return ihl < 20 || eo + ihl > info.TotalLength ? null : Checksum.Compute(packet.AsSpan(eo, ihl)) == 0;
        }

        /// <summary>The field of a partial checksum holds the folded pseudo-header sum, uncomplemented (CHECKSUM_PARTIAL).</summary>
        private static bool PartialOk(byte[] packet, in PacketInfo info)
        {
            var t = info.TransportOffset;
            var (at, length) = info.Protocol == IpProtocol.Tcp
                ? (t + 16, info.TotalLength - t)
                : (t + 6, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(t + 4)));
            var expected = (ushort)~Checksum.Finish(Checksum.PseudoHeader(info.Source, info.Destination, info.Protocol, length));
            return BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(at)) == expected;
        }

        private static string ProtocolName(in PacketInfo info) => info.Protocol switch
        {
            IpProtocol.Tcp => "TCP",
            IpProtocol.Udp => "UDP",
            IpProtocol.Icmp => "ICMP",
            IpProtocol.IcmpV6 => "ICMPv6",
            _ => $"protocol {info.Protocol}",
        };
    }

    /// <summary>Sets a TCP or UDP checksum field as a TUN hands it over with CHECKSUM_PARTIAL: the pseudo-header sum, folded, not complemented.</summary>
    internal static byte[] MakePartial(byte[] packet)
    {
        var info = Packets.Parse(packet);
        var t = info.TransportOffset;
        var (at, length) = info.Protocol == IpProtocol.Tcp
            ? (t + 16, info.TotalLength - t)
            : (t + 6, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(t + 4)));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at),
            (ushort)~Checksum.Finish(Checksum.PseudoHeader(info.Source, info.Destination, info.Protocol, length)));
        return packet;
    }

    private static string Describe(byte[] packet, int ingress, Offload offload) =>
        $"ingress {ingress} offload ({offload.PartialChecksum}, {offload.SegmentPayload}) len {packet.Length} in {Hex(packet)}";

    private static string Hex(ReadOnlySpan<byte> bytes) =>
        bytes.Length <= 160 ? Convert.ToHexString(bytes) : Convert.ToHexString(bytes[..160]) + $"...(+{bytes.Length - 160})";
}
