using BenchmarkDotNet.Attributes;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Wire;

namespace Lethe.Bench.PacketPath;

/// <summary>
/// <see cref="UdpCoalescer"/> on a burst of one flow's datagrams, 1,400 bytes of payload each (as
/// iperf3 -l 1400 sends them), as a worker meets them in one batch read from a queue: every
/// <see cref="UdpCoalescer.TryAdd"/> checks and copies one datagram, and <see cref="UdpCoalescer.Take"/>
/// writes the USO header, lengths and pseudo-header sum. One operation is one datagram
/// (OperationsPerInvoke is the burst: 8, or 46, as many as fit in 64 KiB); the write(2) this saves is not in it.
/// </summary>
[MemoryDiagnoser]
public class CoalescingBenchmarks
{
    private const int Payload = 1_400;

    private readonly UdpCoalescer _coalescer = new();
    private readonly VirtioNetHeader _header = new(VirtioNetFlags.NeedsChecksum, VirtioGsoType.None, 0, 0, 0, VirtioNetHeader.UdpChecksumOffset);
    private byte[][] _datagrams = [];

    [Params(false, true)]
    public bool V6 { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // 46 datagrams of 1,400 bytes are as many as fit in one 64 KiB packet.
        _datagrams = new byte[46][];
        for (var i = 0; i < _datagrams.Length; i++)
        {
            _datagrams[i] = Datagram(i);
        }
        if (!Coalesce(8) || !Coalesce(46) || _coalescer.Count != 0)
        {
            throw new InvalidOperationException("a burst did not coalesce into one packet");
        }
    }

    [Benchmark(OperationsPerInvoke = 8)]
    public bool BurstOf8() => Coalesce(8);

    [Benchmark(OperationsPerInvoke = 46)]
    public bool BurstOf46() => Coalesce(46);

    private bool Coalesce(int burst)
    {
        for (var i = 0; i < burst; i++)
        {
            if (!_coalescer.TryAdd(0, _header, _datagrams[i]))
            {
                return false;
            }
        }
        return _coalescer.Take().Length > 0;
    }

    private byte[] Datagram(int index)
    {
        var ipLength = V6 ? Ipv6Packet.HeaderLength : Ipv4Packet.MinHeaderLength;
        var packet = new byte[ipLength + UdpDatagram.HeaderLength + Payload];
        if (V6)
        {
            var ip = Ipv6Packet.Unchecked(packet);
            packet[0] = 0x60;
            ip.PayloadLength = (ushort)(packet.Length - ipLength);
            ip.NextHeader = IpProtocol.Udp;
            ip.HopLimit = 64;
            ip.Source = NetAddress.Parse("2001:db8::5");
            ip.Destination = NetAddress.Parse("2001:db8:1::10");
        }
        else
        {
            var ip = Ipv4Packet.Unchecked(packet);
            packet[0] = 0x45;
            ip.TotalLength = (ushort)packet.Length;
            ip.Identification = (ushort)index;
            ip.DontFragment = true;
            ip.TimeToLive = 64;
            ip.Protocol = IpProtocol.Udp;
            ip.Source = NetAddress.Parse("10.137.0.5");
            ip.Destination = NetAddress.Parse("192.0.2.10");
            ip.FillHeaderChecksum();
        }
        var udp = UdpDatagram.Unchecked(packet.AsSpan(ipLength));
        udp.SourcePort = 40_000;
        udp.DestinationPort = 5_201;
        udp.Length = (ushort)(packet.Length - ipLength);
        // What a sender using checksum offload leaves there: the pseudo-header sum, folded, never 0
        // (a 0 is a datagram sent without a checksum, which the coalescer leaves alone).
        var source = V6 ? NetAddress.Parse("2001:db8::5") : NetAddress.Parse("10.137.0.5");
        var destination = V6 ? NetAddress.Parse("2001:db8:1::10") : NetAddress.Parse("192.0.2.10");
        udp.Checksum = (ushort)~Checksum.Finish(Checksum.PseudoHeader(source, destination, IpProtocol.Udp, udp.Length));
        packet.AsSpan(ipLength + UdpDatagram.HeaderLength).Fill((byte)index);
        return packet;
    }
}
