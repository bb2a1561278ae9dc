using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Nat.NatPackets;

namespace Lethe.PacketPath.Tests.Nat;

/// <summary>The fixtures' <see cref="NatPackets.Info"/> reads packets as the real parser does, and a rewrite leaves PacketInfo as a fresh parse would.</summary>
public class ParserAgreementTests
{
    public static TheoryData<string> Fixtures => new()
    {
        "tcp4", "tcp6", "udp4", "udp6", "echo4", "echo6", "error4", "error6",
    };

    private static byte[] Fixture(string name) => name switch
    {
        "tcp4" => Tcp(Client4, Remote4, 51000, 443, 0x18, Payload(10)),
        "tcp6" => Tcp(Client6, Remote6, 51000, 443, 0x18, Payload(10)),
        "udp4" => Udp(Client4, Remote4, 5353, 53, Payload(10)),
        "udp6" => Udp(Client6, Remote6, 5353, 53, Payload(10)),
        "echo4" => Echo(Client4, Remote4, 77, 1, payload: Payload(10)),
        "echo6" => Echo(Client6, Remote6, 77, 1, payload: Payload(10)),
        "error4" => IcmpError(Router4, Uplink4, 11, 0, Udp(Uplink4, Remote4, 40001, 53, Payload(10))),
        _ => IcmpError(Router6, Uplink6, 3, 0, Udp(Uplink6, Remote6, 40001, 53, Payload(10))),
    };

    private static void AssertSame(PacketInfo expected, PacketInfo actual)
    {
        Assert.Equal(
            (expected.Version, expected.Source, expected.Destination, expected.Protocol, expected.TotalLength, expected.TransportOffset),
            (actual.Version, actual.Source, actual.Destination, actual.Protocol, actual.TotalLength, actual.TransportOffset));
        Assert.Equal(
            (expected.SourcePort, expected.DestinationPort, expected.IsIcmpError, expected.EmbeddedOffset),
            (actual.SourcePort, actual.DestinationPort, actual.IsIcmpError, actual.EmbeddedOffset));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void the_fixture_info_matches_the_parser(string name)
    {
        var packet = Fixture(name);
        Assert.True(PacketParser.TryParse(packet, out var parsed, out var reason), reason.ToString());
        AssertSame(Info(packet), parsed);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void a_rewritten_packet_parses_to_the_updated_info(string name)
    {
        var packet = Fixture(name);
        Assert.True(PacketParser.TryParse(packet, out var info, out _));
        var v6 = info.Version == 6;

        Assert.True(info.IsIcmpError
            ? NatRewriter.TranslateIcmpError(packet, ref info, v6 ? Client6 : Client4, 5353)
            : NatRewriter.RewriteSource(packet, ref info, v6 ? Uplink6 : Uplink4, 40001));

        Assert.True(PacketParser.TryParse(packet, out var reparsed, out _));
        AssertSame(reparsed, info);
    }
}
