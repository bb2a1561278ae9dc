using System.Buffers.Binary;
using System.Runtime.InteropServices;
using CsCheck;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Tests.Devices;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;
using Microsoft.Win32.SafeHandles;
using static Lethe.PacketPath.Tests.Nat.NatPackets;

namespace Lethe.PacketPath.Tests.Forwarding;

/// <summary>
/// The steering program, run by the kernel itself (BPF_PROG_TEST_RUN) on packets, names the same
/// worker as <see cref="FlowOwner"/>: the queue the kernel puts a packet on is its owner's.
/// </summary>
public class QueueSteeringTests
{
    private static readonly Gen<NetAddress> V4 = Gen.UInt.Select(v => new NetAddress(v, false));
    private static readonly Gen<NetAddress> V6 = Gen.UInt128.Select(v => new NetAddress(v, true));

    [LinuxRootFact]
    public void tcp_udp_and_echo_packets_either_way_go_to_the_queue_of_their_flows_shard()
    {
        foreach (var count in new[] { 2, 3, 4, 7, 64 })
        {
            var shards = new FlowShards(count, (ulong)Random.Shared.NextInt64() ^ (ulong)Random.Shared.Next() << 63);
            using var program = Load(shards);
            var seen = new int[count];
            Gen.Select(Gen.Bool, Gen.Int[0, 3], Gen.UShort, Gen.UShort, Gen.Int[0, 40]).Select(V4, V4, V6, V6)
                .Sample((flow, a4, b4, a6, b6) =>
                {
                    var (v6, kind, sourcePort, destinationPort, payload) = flow;
                    var (a, b) = v6 ? (a6, b6) : (a4, b4);
                    var packet = kind switch
                    {
                        0 => Tcp(a, b, sourcePort, destinationPort, flags: 0x12, payload: Payload(payload)),
                        1 => Udp(a, b, sourcePort, destinationPort, Payload(payload)),
                        2 => Echo(a, b, sourcePort, destinationPort, request: true, Payload(payload)),
                        _ => Echo(b, a, sourcePort, destinationPort, request: false, Payload(payload)),
                    };
                    var expected = Owner(shards, packet);
                    Assert.Equal(expected, Run(program, packet));
                    seen[expected]++;
                    if (!v6)
                    {
                        var withOptions = WithOptions(packet);
                        Assert.Equal(expected, Owner(shards, withOptions));
                        Assert.Equal(expected, Run(program, withOptions));
                    }
                    if (kind < 2)
                    {
                        var back = kind == 0 ? Tcp(b, a, destinationPort, sourcePort, flags: 0x10) : Udp(b, a, destinationPort, sourcePort);
                        Assert.Equal(expected, Run(program, back));
                    }
                }, iter: 3_000);
            // Not every flow on queue 0: the program does spread them (3,000 flows over at most 64 shards).
            Assert.All(seen, s => Assert.True(s > 0, $"a shard of {count} got no flow: {string.Join(", ", seen)}"));
        }
    }

    [LinuxRootFact]
    public void a_reply_to_a_masqueraded_flow_goes_to_the_queue_of_the_worker_that_translated_it()
    {
        const int count = 4;
        var shards = new FlowShards(count, 0x5eed_1234_abcd_0042);
        using var program = Load(shards);
        Gen.Select(Gen.Int[0, 2], Gen.Bool, Gen.UShort[1, 65535], Gen.UShort[1, 65535], V4, V6).Sample((kind, v6, clientPort, remotePort, remote4, remote6) =>
        {
            var protocol = kind switch { 0 => (byte)6, 1 => (byte)17, _ => v6 ? (byte)58 : (byte)1 };
            var (client, uplink, remote) = v6 ? (Client6, Uplink6, remote6) : (Client4, Uplink4, remote4);
            var original = protocol is 1 or 58
                ? new FlowKey(client, remote, protocol, clientPort, clientPort)
                : new FlowKey(client, remote, protocol, clientPort, remotePort);
            var shard = Run(program, Packet(original, reply: false));
            Assert.Equal(shards.Of(original), shard);
            var table = new ConnectionTable(new ConnectionLimits { Capacity = 64, PerClientQuota = 64 }, ConnectionTimeouts.Default, hashSeed: 3);
            var ports = new PortAllocator(table, PortRange.Default, secret: 17, shards, shard);
            Assert.True(ports.TryAllocate(in original, uplink, 0, out var reply, out var reason), reason.ToString());

            Assert.Equal(shard, Run(program, Packet(reply, reply: true)));
        }, iter: 2_000);
    }

    [LinuxRootFact]
    public void what_the_program_does_not_read_goes_to_queue_zero()
    {
        var shards = new FlowShards(4, 0xfeed);
        using var program = Load(shards);
        var v4 = NetAddress.Parse("192.0.2.10");
        var other4 = NetAddress.Parse("198.51.100.1");
        var v6 = NetAddress.Parse("2001:db8::10");
        var other6 = NetAddress.Parse("2001:db8:1::1");
        // A flow of shard 1 to 3, so that a 0 is the program's refusal and not the hash.
        ushort port = 1000;
        while (shards.Of(new FlowKey(v4, other4, 17, port, 53)) == 0 || shards.Of(new FlowKey(v6, other6, 17, port, 53)) == 0)
        {
            port++;
        }
        var udp4 = Udp(v4, other4, port, 53, Payload(64));
        var udp6 = Udp(v6, other6, port, 53, Payload(64));
        Assert.NotEqual(0, Run(program, udp4));
        Assert.NotEqual(0, Run(program, udp6));

        var moreFragments = (byte[])udp4.Clone();
        moreFragments[6] |= 0x20;
        var laterFragment = (byte[])udp4.Clone();
        laterFragment[7] = 1;
        var hopByHop = new byte[udp6.Length + 8];
        udp6.AsSpan(0, 40).CopyTo(hopByHop);
        hopByHop[6] = 0; // hop-by-hop options, then the UDP datagram
        hopByHop[40] = 17;
        hopByHop[42] = 1; // PadN filling the header's 6 option bytes
        hopByHop[43] = 4;
        udp6.AsSpan(40).CopyTo(hopByHop.AsSpan(48));
        BinaryPrimitives.WriteUInt16BigEndian(hopByHop.AsSpan(4), (ushort)(hopByHop.Length - 40));
        var unreachable = IcmpError(other4, v4, 3, 3, udp4.AsSpan(0, 28));
        var gre = Ip(v4, other4, 47, Payload(24));
        byte[][] zero = [moreFragments, laterFragment, hopByHop, unreachable, gre, udp4[..21], Udp(v4, other4, 0, 0)];
        foreach (var packet in zero)
        {
            Assert.Equal(0, Run(program, packet));
        }
    }

    /// <summary>The IPv4 packet with 4 bytes of options (three no-ops, then the end of the list), its header checksum made again.</summary>
    private static byte[] WithOptions(byte[] packet)
    {
        var longer = new byte[packet.Length + 4];
        packet.AsSpan(0, 20).CopyTo(longer);
        longer[20] = longer[21] = longer[22] = 1;
        packet.AsSpan(20).CopyTo(longer.AsSpan(24));
        longer[0] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(2), (ushort)longer.Length);
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(10), 0);
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(10), Checksum.Compute(longer.AsSpan(0, 24)));
        return longer;
    }

    /// <summary>The worker the data plane hands a packet to when another worker reads it.</summary>
    private static int Owner(FlowShards shards, byte[] packet)
    {
        Assert.True(PacketParser.TryParse(packet, out var info, out var reason), reason.ToString());
        return FlowOwner.Of(shards, packet, info);
    }

    private static byte[] Packet(FlowKey key, bool reply) => key.Protocol switch
    {
        6 => Tcp(key.Source, key.Destination, key.SourcePort, key.DestinationPort, flags: reply ? (byte)0x12 : (byte)0x02),
        17 => Udp(key.Source, key.Destination, key.SourcePort, key.DestinationPort, Payload(12)),
        _ => Echo(key.Source, key.Destination, key.SourcePort, 1, request: !reply),
    };

    private static SafeFileHandle Load(FlowShards shards) =>
        QueueSteering.TryLoad(shards, out var refusal) ?? throw new InvalidOperationException($"the kernel refused the program: {refusal}");

    /// <summary>
    /// The program's answer for <paramref name="packet"/>, from BPF_PROG_TEST_RUN. The kernel takes
    /// the buffer as an Ethernet frame and, for a socket filter, starts the packet after the
    /// Ethernet header: at the IP header, as on a TUN device.
    /// </summary>
    private static int Run(SafeFileHandle program, byte[] packet)
    {
        var frame = new byte[14 + packet.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), packet[0] >> 4 == 6 ? (ushort)0x86DD : (ushort)0x0800);
        packet.CopyTo(frame, 14);
        var pinned = GCHandle.Alloc(frame, GCHandleType.Pinned);
        try
        {
            Span<byte> attr = stackalloc byte[80];
            attr.Clear();
            MemoryMarshal.Write(attr, (int)program.DangerousGetHandle());
            MemoryMarshal.Write(attr[8..], frame.Length);
            MemoryMarshal.Write(attr[16..], (ulong)pinned.AddrOfPinnedObject());
            MemoryMarshal.Write(attr[32..], 1); // repeat
            var result = BpfProgram.Call(BpfProgram.ProgTestRun, attr, out var errno);
            Assert.True(result == 0, $"BPF_PROG_TEST_RUN failed: errno {errno}");
            return MemoryMarshal.Read<int>(attr[4..]);
        }
        finally
        {
            pinned.Free();
        }
    }
}
