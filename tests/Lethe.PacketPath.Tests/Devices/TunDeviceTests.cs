using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Wire;
using Xunit.Abstractions;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>
/// A real TUN device in a network namespace of each test's own; all traffic stays in it, on
/// 10.201.0.0/16 and 2001:db8::/32.
/// </summary>
public sealed class TunDeviceTests(ITestOutputHelper output)
{
    private const ushort TcpPort = 80;

    [LinuxRootFact]
    public void opens_with_the_virtio_header_and_the_offloads_the_kernel_takes()
    {
        using var lab = TunLab.Open();
        var tun = lab.Tun;
        output.WriteLine($"{tun.Name} (index {tun.InterfaceIndex}) on Linux {Environment.OSVersion.Version}: offloads {tun.Offloads}");

        Assert.True(tun.HasVirtioHeader);
        Assert.Equal(TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6, tun.Offloads & ~TunOffloads.Uso);
        Assert.Contains(tun.Offloads & TunOffloads.Uso, new[] { TunOffloads.None, TunOffloads.Uso });
        Assert.Equal(1, tun.QueueCount);
        Assert.Equal(VirtioNetHeader.Size + 65535, tun.MaxReadLength);
        Assert.StartsWith($"{tun.InterfaceIndex}: {tun.Name}:", lab.Namespace.Ip("link", "show", tun.Name));
        Assert.Contains("vnet_hdr", lab.Namespace.Ip("-d", "link", "show", tun.Name));
    }

    [LinuxRootFact]
    public void mtu_is_read_and_set_through_the_device()
    {
        using var lab = TunLab.Open();

        Assert.Equal(1500, lab.Tun.Mtu);
        lab.Tun.Mtu = 1400;

        Assert.Equal(1400, lab.Tun.Mtu);
        Assert.Contains("mtu 1400", lab.Namespace.Ip("link", "show", lab.Tun.Name));
        var refused = Assert.Throws<IOException>(() => lab.Tun.Mtu = 10);
        Assert.Contains("SIOCSIFMTU 10", refused.Message);
        Assert.Contains("errno 22", refused.Message);
    }

    [LinuxRootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void udp_sent_in_the_namespace_is_read_with_a_partial_checksum_that_completes(bool v6)
    {
        using var lab = TunLab.Open();
        using var sender = lab.Socket(v6, SocketType.Dgram, ProtocolType.Udp);

        sender.SendTo(Enumerable.Range(0, 300).Select(i => (byte)i).ToArray(), lab.PeerEndPoint(v6, 9000));
        var read = lab.ReadWhere(r => r.Info.Protocol == IpProtocol.Udp && r.Info.DestinationPort == 9000);

        Assert.Equal((NetAddress.Parse(lab.Local(v6)), NetAddress.Parse(lab.Peer(v6))), (read.Info.Source, read.Info.Destination));
        Assert.Equal(((IPEndPoint)sender.LocalEndPoint!).Port, read.Info.SourcePort);
        Assert.Equal(VirtioNetFlags.NeedsChecksum, read.Header.Flags & VirtioNetFlags.NeedsChecksum);
        Assert.Equal(VirtioGsoType.None, read.Header.GsoType);
        Assert.Equal(read.Info.TransportOffset, read.Header.ChecksumStart);
        Assert.Equal(VirtioNetHeader.UdpChecksumOffset, read.Header.ChecksumOffset);
        Assert.True(Segmentation.CompleteChecksum(read.Header, read.Packet));
        var datagram = UdpDatagram.Unchecked(read.Packet.AsSpan(read.Info.TransportOffset));
        Assert.True(datagram.VerifyChecksum(read.Info.Source, read.Info.Destination));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (byte)i).ToArray(), datagram.Payload.ToArray());
    }

    [LinuxRootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void udp_written_to_the_device_arrives_at_a_socket_in_the_namespace(bool v6)
    {
        using var lab = TunLab.Open();
        using var listener = lab.Socket(v6, SocketType.Dgram, ProtocolType.Udp);
        listener.Bind(new IPEndPoint(IPAddress.Parse(lab.Local(v6)), 0));
        var port = (ushort)((IPEndPoint)listener.LocalEndPoint!).Port;
        var packet = Packets.Udp(lab.Peer(v6), lab.Local(v6), 5555, port, payload: 700);
        var buffer = new byte[2048];
        EndPoint from = new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, 0);

        // UDP may be lost, here too: with both cores busy, the kernel's backlog of received packets can
        // overflow before its softirq runs. So the datagram is written again, up to five times.
        var length = 0;
        for (var attempt = 0; attempt < 5 && length == 0; attempt++)
        {
            lab.Write(VirtioNetHeader.None, packet);
            if (listener.Poll(2_000_000, SelectMode.SelectRead))
            {
                length = listener.ReceiveFrom(buffer, ref from);
            }
        }
        Assert.True(length > 0, "none of five copies of the datagram reached the socket");

        Assert.Equal(new IPEndPoint(IPAddress.Parse(lab.Peer(v6)), 5555), from);
        Assert.Equal(packet[^700..], buffer[..length]);
        Assert.Equal(0, lab.Tun.DroppedWrites);
    }

    [LinuxRootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void tcp_data_from_the_namespace_comes_as_tso_superpackets_that_split_into_the_bytes_sent(bool v6)
    {
        using var lab = TunLab.Open();
        var (client, port, clientNext, peerNext) = lab.Handshake(v6);
        using var _ = client;
        var sent = Enumerable.Range(0, 60_000).Select(i => (byte)(i * 13 + 5)).ToArray();
        var received = new byte[sent.Length];
        var room = new byte[256 * 1024];
        var segments = new Range[128];
        var (have, reads, superpackets, largest) = (0, 0, 0, 0);

        client.Send(sent);
        while (have < sent.Length)
        {
            var read = lab.ReadWhere(r => r.Info.Protocol == IpProtocol.Tcp && r.Info.SourcePort == port && r.Info.TotalLength > r.Info.TransportOffset + r.Tcp.HeaderLength);
            reads++;
            Assert.True(Segmentation.TrySplit(read.Header, read.Packet, room, segments, out var count, out var reason), $"refused: {reason}");
            if (read.Header.IsGso)
            {
                superpackets++;
                largest = Math.Max(largest, read.Packet.Length);
                Assert.Equal(v6 ? VirtioGsoType.TcpV6 : VirtioGsoType.TcpV4, read.Header.Gso);
                SegmentCheck.AssertSplitOf(read.Packet, read.Header, room, segments[..count]);
            }
            for (var i = 0; i < count; i++)
            {
                var segment = room[segments[i]];
                var info = Packets.Parse(segment);
                var tcp = TcpSegment.Unchecked(segment.AsSpan(info.TransportOffset));
                Assert.True(tcp.VerifyChecksum(info.Source, info.Destination), $"segment {i} of read {reads}: TCP checksum");
                var offset = (int)(tcp.SequenceNumber - clientNext);
                if (offset == have)
                {
                    tcp.Payload.CopyTo(received.AsSpan(have));
                    have += tcp.Payload.Length;
                }
            }
            lab.Write(VirtioNetHeader.None, Packets.Tcp(lab.Peer(v6), lab.Local(v6), TcpPort, port, TcpFlags.Ack, sequence: peerNext, acknowledgement: clientNext + (uint)have));
        }
        output.WriteLine($"{reads} reads, {superpackets} TSO super-packets, largest {largest} bytes");

        Assert.Equal(sent, received);
        Assert.True(superpackets > 0, "the kernel sent no TSO super-packet");
    }

    [LinuxRootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void a_tso_superpacket_written_to_the_device_reaches_the_socket_whole(bool v6)
    {
        using var lab = TunLab.Open();
        var (client, port, clientNext, peerNext) = lab.Handshake(v6);
        using var _ = client;
        client.ReceiveTimeout = 5000;
        var whole = Packets.Tcp(lab.Peer(v6), lab.Local(v6), TcpPort, port, TcpFlags.Ack | TcpFlags.Psh, payload: 20_000, sequence: peerNext, acknowledgement: clientNext);
        var (header, packet) = Offloaded.Partial(whole, gsoSize: 1400);

        lab.Write(header, packet);
        var received = new byte[20_000];
        var have = 0;
        while (have < received.Length)
        {
            var length = client.Receive(received.AsSpan(have));
            Assert.True(length > 0, "the connection closed");
            have += length;
        }

        Assert.Equal(whole[^20_000..], received);
        Assert.Equal(0, lab.Tun.DroppedWrites);
    }

    [LinuxRootFact]
    public void udp_gso_from_the_namespace_is_one_uso_superpacket_when_the_kernel_takes_uso()
    {
        using var lab = TunLab.Open();
        using var sender = lab.Socket(false, SocketType.Dgram, ProtocolType.Udp);
        // UDP_SEGMENT (linux/udp.h): the kernel sends 3500 bytes as datagrams of 1000.
        sender.SetRawSocketOption(IpProtocol.Udp, 103, BitConverter.GetBytes(1000));
        var sent = Enumerable.Range(0, 3500).Select(i => (byte)(i * 3)).ToArray();
        var room = new byte[64 * 1024];
        var segments = new Range[8];

        sender.SendTo(sent, lab.PeerEndPoint(false, 7777));
        var payload = new List<byte>();
        var reads = 0;
        while (payload.Count < sent.Length)
        {
            var read = lab.ReadWhere(r => r.Info.Protocol == IpProtocol.Udp && r.Info.DestinationPort == 7777);
            reads++;
            Assert.True(Segmentation.TrySplit(read.Header, read.Packet, room, segments, out var count, out var reason), $"refused: {reason}");
            if (read.Header.IsGso)
            {
                Assert.Equal(VirtioGsoType.UdpL4, read.Header.Gso);
                Assert.Equal(1000, read.Header.GsoSize);
                Assert.Equal([1000, 1000, 1000, 500], SegmentCheck.AssertSplitOf(read.Packet, read.Header, room, segments[..count]));
            }
            for (var i = 0; i < count; i++)
            {
                var info = Packets.Parse(room[segments[i]]);
                var datagram = UdpDatagram.Unchecked(room[segments[i]].AsSpan(info.TransportOffset));
                Assert.True(datagram.VerifyChecksum(info.Source, info.Destination));
                payload.AddRange(datagram.Payload.ToArray());
            }
        }
        output.WriteLine($"offloads {lab.Tun.Offloads}: {reads} reads for 4 datagrams");

        Assert.Equal(sent, payload.ToArray());
        Assert.Equal((lab.Tun.Offloads & TunOffloads.Uso) == TunOffloads.Uso ? 1 : 4, reads);
    }

    [LinuxRootFact]
    public void two_queues_read_the_packets_of_many_flows()
    {
        const int Flows = 64;
        using var lab = TunLab.Open(new TunOptions { Queues = 2 });
        var counts = new int[2];
        var total = 0;
        using var all = new ManualResetEventSlim();
        var failures = new List<Exception>();
        var readers = Enumerable.Range(0, 2).Select(queue => new Thread(() =>
        {
            try
            {
                var buffer = new byte[lab.Tun.MaxReadLength];
                int length;
                while ((length = lab.Tun.Read(queue, buffer)) > 0)
                {
                    if (PacketParser.TryParse(buffer.AsSpan(VirtioNetHeader.Size, length - VirtioNetHeader.Size), out var info, out _)
                        && info.Protocol == IpProtocol.Udp && info.DestinationPort == 9999)
                    {
                        Interlocked.Increment(ref counts[queue]);
                        if (Interlocked.Increment(ref total) == Flows)
                        {
                            all.Set();
                        }
                    }
                }
            }
            catch (Exception e)
            {
                lock (failures)
                {
                    failures.Add(e);
                }
            }
        })).ToArray();
        foreach (var reader in readers)
        {
            reader.Start();
        }

        lab.Namespace.Enter(() =>
        {
            for (var i = 0; i < Flows; i++)
            {
                using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                sender.SendTo(new byte[32], lab.PeerEndPoint(false, 9999));
            }
            return 0;
        });
        var arrived = all.Wait(10_000);
        lab.Tun.Dispose();
        foreach (var reader in readers)
        {
            Assert.True(reader.Join(5000), "a reader did not return after Dispose");
        }
        output.WriteLine($"queue 0: {counts[0]}, queue 1: {counts[1]}");

        Assert.Empty(failures);
        Assert.True(arrived, $"{total} of {Flows} flows arrived");
        Assert.Equal(Flows, counts[0] + counts[1]);
        Assert.All(counts, count => Assert.True(count > 0, "one queue got no flow"));
    }

    [LinuxRootFact]
    public void attaches_to_a_multi_queue_device_created_beforehand()
    {
        using var ns = NetworkNamespace.Create();
        var name = $"lq{Random.Shared.Next():x8}";
        ns.Ip("tuntap", "add", "dev", name, "mode", "tun", "multi_queue");

        using (var tun = ns.Enter(() => TunDevice.Open(name, new TunOptions { Queues = 2 })))
        {
            Assert.Equal(name, tun.Name);
            Assert.Equal(2, tun.QueueCount);
            Assert.Equal(TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6, tun.Offloads & ~TunOffloads.Uso);
        }
        var refused = Assert.Throws<IOException>(() => ns.Enter(() => TunDevice.Open(name, new TunOptions())));

        Assert.Contains(name, ns.Ip("link", "show", name));
        Assert.Contains("TUNSETIFF", refused.Message);
        Assert.Contains("errno 22", refused.Message);
        Assert.Contains($"{name} is a TUN or TAP device not made for this (a TAP device, or a TUN device without multi_queue); delete it, or create it as", refused.Message);
    }

    [LinuxRootTheory]
    [InlineData("veth", "a veth interface")]
    [InlineData("lo", "a loopback interface")]
    public void an_interface_of_another_kind_is_refused_with_its_kind_and_no_advice_to_delete_it(string kind, string described)
    {
        using var ns = NetworkNamespace.Create();
        var name = kind == "lo" ? "lo" : $"ld{Random.Shared.Next():x8}";
        if (kind == "veth")
        {
            ns.Ip("link", "add", name, "type", "veth", "peer", "name", name + "p");
        }

        var refused = Assert.Throws<IOException>(() => ns.Enter(() => TunDevice.Open(name, new TunOptions { Queues = 2 })));

        Assert.Contains($"TUNSETIFF for \"{name}\"", refused.Message);
        Assert.EndsWith($"{name} is {described}, not a TUN device; give --uplink-tun or --client-tun a TUN device's name", refused.Message);
        Assert.DoesNotContain("delete", refused.Message);
        Assert.Contains(name, ns.Ip("link", "show", name));
    }

    [LinuxRootFact]
    public void a_device_made_beforehand_opened_without_the_header_after_a_run_with_offloads_hands_over_whole_checksums()
    {
        using var ns = NetworkNamespace.Create();
        var name = $"lq{Random.Shared.Next():x8}";
        ns.Ip("tuntap", "add", "dev", name, "mode", "tun", "multi_queue", "vnet_hdr");
        // A boot with offloads (the default), then one with --no-offload on the same device.
        ns.Enter(() => TunDevice.Open(name, new TunOptions { MultiQueue = true })).Dispose();
        using var tun = ns.Enter(() => TunDevice.Open(name, new TunOptions { MultiQueue = true, VirtioHeader = false }));
        ns.Ip("addr", "add", "10.201.77.1/24", "dev", name);
        ns.Ip("link", "set", name, "up");
        using var sender = ns.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        sender.SendTo(new byte[100], new IPEndPoint(IPAddress.Parse("10.201.77.2"), 9001));

        var buffer = new byte[tun.MaxReadLength];
        using var watchdog = new Timer(_ => tun.Dispose(), null, 5000, Timeout.Infinite);
        PacketInfo info;
        int length;
        do
        {
            // A closed device (the watchdog) reads nothing.
            length = tun.Read(0, buffer);
            Assert.True(length > 0, "the datagram was not read");
        }
        while (!PacketParser.TryParse(buffer.AsSpan(0, length), out info, out _) || info.Protocol != IpProtocol.Udp || info.DestinationPort != 9001);

        Assert.False(tun.HasVirtioHeader);
        Assert.Equal(TunOffloads.None, tun.Offloads);
        Assert.True(UdpDatagram.Unchecked(buffer.AsSpan(info.TransportOffset, length - info.TransportOffset)).VerifyChecksum(info.Source, info.Destination),
            "the checksum is only the pseudo-header's: the offloads of the run before are still on");
    }

    [LinuxRootTheory]
    [InlineData(true, "the name's claim is held by pid")]
    [InlineData(false, "the name's claim is held by a process that does not answer as a lethe-firewall does")]
    public void a_device_name_another_user_holds_does_not_keep_the_device_closed_and_is_named(bool listens, string warning)
    {
        using var ns = NetworkNamespace.Create();
        var name = $"lq{Random.Shared.Next():x8}";
        // Any user of the namespace may bind the abstract name the firewall claims a device by. The
        // socket belongs to the namespace it was made in; who holds it is who called listen().
        using var squatter = ns.Enter(() =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Bind(new UnixDomainSocketEndPoint("\0lethe-firewall/tun/" + name));
            return socket;
        });
        if (listens)
        {
            var asNobody = new Thread(() =>
            {
                SetThreadUser(65534);
                squatter.Listen(1);
            });
            asNobody.Start();
            asNobody.Join();
        }

        using var tun = ns.Enter(() => TunDevice.Open(name, new TunOptions()));

        Assert.Equal(name, tun.Name);
        Assert.StartsWith(warning, tun.ClaimWarning);
        Assert.Equal(listens, tun.ClaimWarning!.Contains("of uid 65534", StringComparison.Ordinal));
    }

    [LinuxRootFact]
    public void a_device_name_root_holds_is_refused_with_the_holders_pid()
    {
        using var ns = NetworkNamespace.Create();
        var name = $"lq{Random.Shared.Next():x8}";
        using var first = ns.Enter(() => TunDevice.Open(name, new TunOptions()));

        var refused = Assert.Throws<IOException>(() => ns.Enter(() => TunDevice.Open(name, new TunOptions())));

        Assert.Equal($"{name} is served by another lethe-firewall in this network namespace (pid {Environment.ProcessId}); stop it or give another name", refused.Message);
        Assert.Null(first.ClaimWarning);
    }

    /// <summary>
    /// Changes the calling thread's user only: the raw setresuid system call, which (unlike glibc's
    /// wrapper) leaves the process's other threads alone. The thread cannot become root again, so it
    /// must be one of its own.
    /// </summary>
    private static void SetThreadUser(int uid)
    {
        long setresuid = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? 147 : 117;
        if (Syscall(setresuid, uid, uid, uid) != 0)
        {
            throw new IOException($"setresuid {uid}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, long a, long b, long c);

    [LinuxRootFact]
    public void a_persistent_device_another_program_holds_a_queue_of_is_refused_with_what_it_holds()
    {
        using var ns = NetworkNamespace.Create();
        var name = $"lq{Random.Shared.Next():x8}";
        ns.Ip("tuntap", "add", "dev", name, "mode", "tun", "multi_queue");
        // The other program attached first, without the virtio-net header: the kernel keeps its flags.
        using var held = ns.Enter(() => HoldQueue(name));

        var refused = Assert.Throws<IOException>(() => ns.Enter(() => TunDevice.Open(name, new TunOptions { Queues = 2 })));

        Assert.Equal($"{name} is held by another program (1 other queue(s) of it are open: 1 attached, 0 detached; " +
            "the device keeps the flags that program set: vnet_hdr off where on was asked for); stop that program or give another name", refused.Message);
        Assert.Contains("vnet_hdr off multi_queue numqueues 1 numdisabled 0", ns.Ip("-d", "link", "show", name));
    }

    /// <summary>One queue of <paramref name="name"/>, attached as a program without the virtio-net header attaches it.</summary>
    private static Microsoft.Win32.SafeHandles.SafeFileHandle HoldQueue(string name)
    {
        var fd = Open("/dev/net/tun", 0x2 | 0x80000);
        Assert.True(fd >= 0, $"open /dev/net/tun: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        var queue = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        var ifreq = new byte[40];
        System.Text.Encoding.ASCII.GetBytes(name, ifreq.AsSpan(0, 15));
        BitConverter.TryWriteBytes(ifreq.AsSpan(16), (short)(0x0001 | 0x1000 | 0x0100)); // IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE
        Assert.True(Ioctl(fd, 0x400454ca, ifreq) == 0, $"TUNSETIFF {name}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        return queue;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(string path, int flags);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int Ioctl(int fd, nuint request, byte[] argument);

    [LinuxRootFact]
    public void a_write_the_kernel_refuses_is_counted_not_thrown()
    {
        using var lab = TunLab.Open();
        var packet = Packets.Udp(lab.Peer4, lab.Local4, 1, 2, payload: 10);

        lab.Tun.Write(0, new byte[4]);
        lab.Write(new VirtioNetHeader(VirtioNetFlags.None, VirtioGsoType.TcpV4, 60_000, 1000, 0, 0), packet);

        Assert.Equal(2, lab.Tun.DroppedWrites);
    }

    [LinuxRootFact]
    public void without_the_virtio_header_reads_bare_packets_with_full_checksums()
    {
        using var lab = TunLab.Open(new TunOptions { VirtioHeader = false });
        using var sender = lab.Socket(false, SocketType.Dgram, ProtocolType.Udp);

        sender.SendTo(new byte[100], lab.PeerEndPoint(false, 9001));
        var read = lab.ReadWhere(r => r.Info.Protocol == IpProtocol.Udp && r.Info.DestinationPort == 9001);

        Assert.False(lab.Tun.HasVirtioHeader);
        Assert.Equal(TunOffloads.None, lab.Tun.Offloads);
        Assert.Equal(65535, lab.Tun.MaxReadLength);
        Assert.True(UdpDatagram.Unchecked(read.Packet.AsSpan(read.Info.TransportOffset)).VerifyChecksum(read.Info.Source, read.Info.Destination));
    }

    [LinuxRootFact]
    public void dispose_wakes_a_blocked_read_which_returns_zero_and_the_device_goes_away()
    {
        using var lab = TunLab.Open();
        var name = lab.Tun.Name;
        var last = -1;
        var tid = 0;
        Exception? failure = null;
        var reader = new Thread(() =>
        {
            try
            {
                Volatile.Write(ref tid, Lethe.PacketPath.Devices.ThreadPolicy.CurrentThreadId());
                var buffer = new byte[lab.Tun.MaxReadLength];
                while ((last = lab.Tun.Read(0, buffer)) > 0)
                {
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        reader.Start();
        // Asleep in the kernel, in the read: the case Dispose must wake.
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref tid) != 0 && ThreadStat.State($"/proc/self/task/{tid}/stat") == 'S', TimeSpan.FromSeconds(10)),
            "the reader never blocked");
        Assert.True(reader.IsAlive, "the read did not block");

        var clock = Stopwatch.StartNew();
        lab.Tun.Dispose();
        var woke = reader.Join(2000);
        output.WriteLine($"read returned {clock.ElapsedMilliseconds} ms after Dispose");

        Assert.True(woke, "the blocked read did not return after Dispose");
        Assert.Null(failure);
        Assert.Equal(0, last);
        Assert.Equal(0, lab.Tun.Read(0, new byte[100]));
        lab.Tun.Write(0, new byte[100]);
        Assert.Equal(1, lab.Tun.DroppedWrites);
        Assert.Throws<ObjectDisposedException>(() => lab.Tun.Mtu);
        Assert.False(Command.TryRun("ip", "-n", lab.Namespace.Name, "link", "show", name), "the device outlived its last queue");
    }

    [Theory]
    [InlineData("lethe-name-too-long", 1)]
    [InlineData("tünnel", 1)]
    [InlineData("lethe0", 0)]
    [InlineData("lethe0", 257)]
    public void open_refuses_a_bad_name_or_queue_count_before_touching_the_kernel(string name, int queues)
    {
        Assert.ThrowsAny<ArgumentException>(() => TunDevice.Open(name, new TunOptions { Queues = queues }));
    }
}
