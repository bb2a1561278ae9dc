using System.Net.Sockets;
using System.Security.Cryptography;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// 64 MiB over one TCP connection, client to uplink host and back: with the devices' TSO the kernel
/// hands the firewall superpackets of up to 64 KiB, which it NATs whole, and every byte must arrive
/// in order. The checksums they leave with are not checked here: the uplink host's kernel takes a
/// partial checksum from a TUN device as verified. Forwarding/OffloadHeaderTests sends a
/// super-packet on through a device without offloads, where the kernel completes each segment's
/// checksum from what Lethe left, and checks those.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class LargeTransferTests(LiveLab lab, Xunit.Abstractions.ITestOutputHelper log)
{
    private const int Chunk = 1 << 20;
    private const int Chunks = 64;

    [LinuxRootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task sixty_four_mebibytes_cross_the_firewall_both_ways_intact(bool v6)
    {
        var net = await lab.Shared();
        var bulk = net.UplinkTcp[Ports.Bulk];
        var before = bulk.Accepted.Count;
        var packetsBefore = await net.Metric("lethe_forwarded_packets_total");
        var bytesBefore = await net.Metric("lethe_forwarded_bytes_total");
        var flow = $"{Family(v6)} c1 -> uplink host {Uplink(v6)} TCP {Ports.Bulk}";
        using var session = await TcpSession.Require(net.Client1, Uplink(v6), Ports.Bulk, flow);
        // A guard against a stall, not a speed requirement.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        var sent = Send(session.Socket, seed: v6 ? 6 : 4, guard.Token);
        var back = Receive(session.Socket, guard.Token);
        try
        {
            await Task.WhenAll(sent, back);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{flow}: the transfer stalled (sent {(sent.IsCompletedSuccessfully ? "all" : "not all")}, got back {(back.IsCompletedSuccessfully ? "all" : "not all")})\n{net.Describe()}");
        }

        var accepted = bulk.Accepted.Skip(before).Single();
        var arrived = await accepted.Finished.WaitAsync(guard.Token);
        var expected = new Received((long)Chunk * Chunks, await sent);
        Assert.True(expected == arrived, $"{flow}, client to uplink host: sent {expected}, the uplink host got {arrived}\n{net.Describe()}");
        Assert.True(expected == await back, $"{flow}, uplink host back to client: the uplink host echoed {expected}, the client got {await back}\n{net.Describe()}");
        Assert.Equal(FirewallAddress(v6), accepted.Peer.Address);

        // More bytes per forwarded packet than a 1500-byte link carries means packets larger than the MTU
        // went through whole: the segmentation-offload path this test is about, not a fallback to small packets.
        // The page may be up to a second old: wait for one rendered after the transfer.
        var packets = await net.MetricOnce("lethe_forwarded_packets_total", value => value > packetsBefore) - packetsBefore;
        var bytes = await net.Metric("lethe_forwarded_bytes_total") - bytesBefore;
        log.WriteLine($"{flow}: {bytes} bytes forwarded in {packets} packets, {bytes / Math.Max(1, packets)} per packet");
        Assert.True(bytes > 1500 * packets,
            $"{flow}: {bytes} bytes in {packets} forwarded packets, {bytes / Math.Max(1, packets)} per packet: no super-packets passed whole\n{net.Describe()}");
    }

    /// <summary>Writes pseudo-random bytes, then ends the stream; returns their SHA-256.</summary>
    internal static async Task<string> Send(Socket socket, int seed, CancellationToken ct)
    {
        var random = new Random(seed);
        var buffer = new byte[Chunk];
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var i = 0; i < Chunks; i++)
        {
            random.NextBytes(buffer);
            sha.AppendData(buffer);
            for (var sent = 0; sent < buffer.Length;)
            {
                sent += await socket.SendAsync(buffer.AsMemory(sent), SocketFlags.None, ct);
            }
        }
        socket.Shutdown(SocketShutdown.Send);
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    internal static async Task<Received> Receive(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[256 * 1024];
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, ct) is var n && n > 0)
        {
            sha.AppendData(buffer, 0, n);
            total += n;
        }
        return new Received(total, Convert.ToHexString(sha.GetHashAndReset()));
    }
}
