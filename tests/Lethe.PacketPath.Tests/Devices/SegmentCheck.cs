using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>Checks the segments <see cref="Segmentation.TrySplit"/> made against the super-packet they came from, recomputing every checksum in full.</summary>
internal static class SegmentCheck
{
    /// <summary>Asserts that every segment is a valid packet that follows the one before, and that their payloads add up to the super-packet's; returns the segments' payload lengths.</summary>
    public static int[] AssertSplitOf(byte[] superpacket, VirtioNetHeader header, byte[] output, ReadOnlySpan<Range> segments)
    {
        var whole = Packets.Parse(superpacket);
        var tcp = whole.Protocol == IpProtocol.Tcp;
        var transport = superpacket.AsSpan(whole.TransportOffset, whole.TotalLength - whole.TransportOffset);
        var wholeTcp = TcpSegment.Unchecked(transport);
        var headersLength = whole.TransportOffset + (tcp ? wholeTcp.HeaderLength : UdpDatagram.HeaderLength);
        var expectedPayload = superpacket.AsSpan(headersLength, whole.TotalLength - headersLength).ToArray();
        var identification = whole.Version == 4 ? Ipv4Packet.Unchecked(superpacket).Identification : (ushort)0;

        var payload = new List<byte>();
        var lengths = new int[segments.Length];
        for (var i = 0; i < segments.Length; i++)
        {
            var bytes = output[segments[i]];
            Assert.True(PacketParser.TryParse(bytes, out var info, out var reason), $"segment {i} does not parse: {reason}");
            Assert.Equal(bytes.Length, info.TotalLength);
            Assert.Equal((whole.Version, whole.Source, whole.Destination, whole.Protocol), (info.Version, info.Source, info.Destination, info.Protocol));
            Assert.Equal((whole.SourcePort, whole.DestinationPort), (info.SourcePort, info.DestinationPort));
            Assert.Equal(whole.TransportOffset, info.TransportOffset);
            if (info.Version == 4)
            {
                var ip = Ipv4Packet.Unchecked(bytes);
                Assert.True(ip.VerifyHeaderChecksum(), $"segment {i}: IPv4 header checksum");
                Assert.Equal((ushort)(identification + i), ip.Identification);
            }
            var segmentTransport = bytes.AsSpan(info.TransportOffset);
            Span<byte> data;
            if (tcp)
            {
                var segment = TcpSegment.Unchecked(segmentTransport);
                Assert.True(segment.VerifyChecksum(info.Source, info.Destination), $"segment {i}: TCP checksum");
                Assert.Equal(wholeTcp.SequenceNumber + (uint)payload.Count, segment.SequenceNumber);
                Assert.Equal(wholeTcp.AcknowledgementNumber, segment.AcknowledgementNumber);
                Assert.Equal(wholeTcp.HeaderLength, segment.HeaderLength);
                Assert.Equal(wholeTcp.WindowSize, segment.WindowSize);
                var flags = wholeTcp.Flags;
                if (i < segments.Length - 1)
                {
                    flags &= ~(TcpFlags.Fin | TcpFlags.Psh);
                }
                if (i > 0)
                {
                    flags &= ~TcpFlags.Cwr;
                }
                Assert.Equal(flags, segment.Flags);
                data = segment.Payload;
            }
            else
            {
                Assert.True(UdpDatagram.TryParse(segmentTransport, out var datagram, out _), $"segment {i}: UDP header");
                Assert.Equal(segmentTransport.Length, datagram.Length);
                Assert.True(datagram.VerifyChecksum(info.Source, info.Destination), $"segment {i}: UDP checksum");
                Assert.NotEqual(0, datagram.Checksum);
                data = datagram.Payload;
            }
            Assert.True(data.Length <= header.GsoSize, $"segment {i} carries {data.Length} bytes, more than gso_size {header.GsoSize}");
            if (i < segments.Length - 1)
            {
                Assert.Equal(header.GsoSize, data.Length);
            }
            lengths[i] = data.Length;
            payload.AddRange(data.ToArray());
        }
        Assert.Equal(expectedPayload, payload.ToArray());
        return lengths;
    }
}
