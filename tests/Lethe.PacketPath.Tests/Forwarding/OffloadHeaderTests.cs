using System.Buffers.Binary;
using System.Text;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Tests.Devices;
using Lethe.PacketPath.Tests.Nat;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Forwarding;

/// <summary>
/// A client that writes its own virtio-net header (a VM's driver, a PACKET_VNET_HDR socket) decides
/// where the kernel behind the firewall completes a partial checksum. Aimed at the destination port,
/// that would turn a datagram the rules allowed to port 53 into one to any port after the verdict.
/// The test plays such a client through a TUN of its own in the client namespace, whose kernel
/// forwards the packet, header offsets and all, into the firewall; behind the uplink, a TUN without
/// offloads makes the kernel complete the checksum where the header says.
/// </summary>
public class OffloadHeaderTests
{
    private const string Client = "192.0.2.10";
    private const string Uplink = "198.51.100.2";
    private const string Target = "203.0.113.5";

    [LinuxRootFact]
    public void a_client_header_aiming_the_checksum_at_the_port_is_dropped_and_honest_ones_pass()
    {
        using var client = NetworkNamespace.Create();
        using var uplink = NetworkNamespace.Create();
        var suffix = $"{Random.Shared.Next():x6}";
        using var inject = client.Enter(() => TunDevice.Open($"ldi{suffix}", new TunOptions()));
        using var clientTun = client.Enter(() => TunDevice.Open($"ldc{suffix}", new TunOptions()));
        using var uplinkTun = uplink.Enter(() => TunDevice.Open($"ldu{suffix}", new TunOptions()));
        using var beyond = uplink.Enter(() => TunDevice.Open($"ldo{suffix}", new TunOptions { VirtioHeader = false }));
        client.Ip("link", "set", inject.Name, "up");
        client.Ip("addr", "add", "10.77.0.1/24", "dev", inject.Name);
        client.Ip("link", "set", clientTun.Name, "up");
        client.Ip("route", "add", "default", "dev", clientTun.Name);
        uplink.Ip("link", "set", uplinkTun.Name, "up");
        uplink.Ip("addr", "add", "198.51.100.1/24", "dev", uplinkTun.Name);
        uplink.Ip("link", "set", beyond.Name, "up");
        uplink.Ip("addr", "add", "203.0.113.1/24", "dev", beyond.Name);
        foreach (var (ns, device) in new[] { (client, inject.Name), (uplink, uplinkTun.Name) })
        {
            Command.Run("ip", "netns", "exec", ns.Name, "sysctl", "-qw", "net.ipv4.ip_forward=1",
                "net.ipv4.conf.all.rp_filter=0", $"net.ipv4.conf.{device}.rp_filter=0");
        }

        var options = new EngineOptions { UplinkV4 = NetAddress.Parse(Uplink) };
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
            [new SnapshotClient("work", [Client], [new SnapshotRule("r-1", "action=accept proto=udp dstports=53-53")])]);
        var compiled = CompiledPolicy.Compile(content, []);
        using var dataplane = new Dataplane([new AttachedDevice(clientTun, "work"), new AttachedDevice(uplinkTun, null)],
            [new PacketEngine(new ActivePolicy(compiled, 1, compiled.CreateHostTable()), options)], new FlowShards(1, 7));
        dataplane.Start();

        Send(inject, "before", aimAtPort: false);
        Assert.Equal(("before", 53), NextDatagram(beyond));

        Send(inject, "aimed", aimAtPort: true);
        Send(inject, "after", aimAtPort: false);
        // Same flow, same worker, so "after" leaves behind anything of "aimed" that got through.
        Assert.Equal(("after", 53), NextDatagram(beyond));
        Assert.Equal(1, dataplane.Workers[0].Counters.OffloadHeaderMismatch);
    }

    /// <summary>
    /// One UDP datagram to <see cref="Target"/> port 53 with a partial checksum, as the client's
    /// kernel hands it over; aimed, its header points the checksum at the destination port.
    /// </summary>
    private static void Send(TunDevice inject, string text, bool aimAtPort)
    {
        var whole = NatPackets.Udp(NetAddress.Parse(Client), NetAddress.Parse(Target), 40000, 53, Encoding.ASCII.GetBytes(text));
        var (header, packet) = Offloaded.Partial(whole);
        if (aimAtPort)
        {
            header = header with { ChecksumStart = (ushort)(header.ChecksumStart + 2), ChecksumOffset = 0 };
        }
        Assert.True(inject.Write(0, Offloaded.Frame(header, packet)), "the client namespace's kernel refused the datagram");
    }

    /// <summary>The payload and destination port of the next UDP datagram to <see cref="Target"/> that leaves behind the uplink host.</summary>
    private static (string Text, int Port) NextDatagram(TunDevice beyond)
    {
        var buffer = new byte[beyond.MaxReadLength];
        var deadline = Environment.TickCount64 + 5000;
        while (Environment.TickCount64 < deadline)
        {
            var length = beyond.TryRead(0, buffer);
            if (length <= 0)
            {
                Thread.Sleep(5);
                continue;
            }
            var packet = buffer.AsSpan(0, length);
            if (PacketParser.TryParse(packet, out var info, out _) && info.Protocol == IpProtocol.Udp
                && info.Destination == NetAddress.Parse(Target))
            {
                var transport = packet[info.TransportOffset..info.TotalLength];
                Assert.Equal(0, Checksum.Finish(Checksum.Add(
                    Checksum.PseudoHeader(info.Source, info.Destination, IpProtocol.Udp, transport.Length), transport)));
                return (Encoding.ASCII.GetString(transport[8..]), BinaryPrimitives.ReadUInt16BigEndian(transport[2..]));
            }
        }
        Assert.Fail($"no datagram to {Target} left by {beyond.Name} within 5 s");
        return default;
    }
}
