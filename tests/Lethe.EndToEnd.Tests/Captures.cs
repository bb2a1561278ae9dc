using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Tests;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests;

/// <summary>Small captures written by the tests, with TEST-NET and Qubes-style addresses only.</summary>
public static class Captures
{
    public const string Uplink = "198.51.100.1";

    /// <summary>work opens https and ssh to the lab, the lab answers the https SYN, and an outsider knocks.</summary>
    public static byte[][] WorkDay() =>
    [
        Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443),
        Packets.Tcp("10.137.0.5", "192.0.2.10", 40001, 80),
        Packets.Tcp("10.137.0.5", "192.0.2.10", 40002, 22),
        Packets.Udp("10.137.0.5", "10.139.1.1", 5353, 53),
        Packets.Tcp("203.0.113.9", Uplink, 1234, 80),
        Packets.Tcp("10.137.0.99", "192.0.2.10", 40003, 443),
    ];

    /// <param name="snapLength">Keeps only this many bytes of each packet, as `tcpdump -s` does; null keeps them whole.</param>
    public static string Write(string path, IEnumerable<byte[]> packets, int? snapLength = null)
    {
        using var stream = File.Create(path);
        var writer = new PcapWriter(stream, snapLength ?? 262_144);
        var t = 1_764_000_000_000_000L;
        foreach (var packet in packets)
        {
            writer.Write(t, packet, Math.Min(packet.Length, snapLength ?? packet.Length));
            t += 1000;
        }
        writer.Flush();
        return path;
    }

    public static List<byte[]> Read(string path)
    {
        using var stream = File.OpenRead(path);
        var reader = new PcapReader(stream);
        var packets = new List<byte[]>();
        var buffer = new byte[70_000];
        while (reader.TryRead(buffer, out _, out _, out var offset, out var length))
        {
            packets.Add(buffer.AsSpan(offset, length).ToArray());
        }
        return packets;
    }

    public static PacketInfo Parse(byte[] packet) => Packets.Parse(packet);
}
