using Lethe.Domain.Snapshots;
using Lethe.EndToEnd.Tests.Nft.Conntrack;
using Lethe.Firewall.Nft;
using Lethe.PacketPath.Tests;
using Lethe.PacketPath.Tests.Devices;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests.Nft;

/// <summary>
/// The ruleset given the uplink's prefix (nft --uplink-address A/N) holds a client's packets to its broadcast
/// and subnet-router anycast as Lethe does even where the uplink interface holds the address alone, so the
/// kernel would route both on: the broadcast dropped silently, the anycast refused as addressed to the
/// firewall. (With the prefix on the interface the input chain does the same: FirstPacketDifferentialTests.)
/// </summary>
public sealed class UplinkPrefixRulesetTests
{
    private static readonly SnapshotContent Content = new(SnapshotContent.CurrentFormat, "prefix",
        [new SnapshotClient("work", [FlowScript.Client4, FlowScript.Client6], [new SnapshotRule("r-all", "action=accept")])]);

    private static readonly NftOptions WithPrefix = new() { UplinkPrefixLengthV4 = 24, UplinkPrefixLengthV6 = 64 };

    [LinuxRootFact]
    public void on_an_uplink_holding_the_address_alone_the_ruleset_drops_the_broadcast_and_refuses_the_anycast()
    {
        Assert.Null(NftCheck.WhyNot());
        using var kernel = KernelFirewall.Open(1, FlowScript.Uplink4, FlowScript.Uplink6, uplinkPrefix4: 32, uplinkPrefix6: 128);
        kernel.Load(Content, WithPrefix);

        var broadcast = kernel.Send(Packets.Udp(FlowScript.Client4, "198.51.100.255", 40000, 137, payload: 20), fromUplink: false);
        var anycast = kernel.Send(Packets.Tcp(FlowScript.Client6, "2001:db8:ff::", 40000, 22, TcpFlags.Syn), fromUplink: false);
        var neighbour = kernel.Send(Packets.Udp(FlowScript.Client4, "198.51.100.7", 40001, 137, payload: 20), fromUplink: false);

        Assert.Equal(0, To("198.51.100.255", broadcast.ToUplink));
        Assert.Equal(0, To(FlowScript.Client4, broadcast.ToClient));
        Assert.Equal(0, To("2001:db8:ff::", anycast.ToUplink));
        var answer = Assert.Single(anycast.ToClient, p => Packets.Parse(p).Destination == NetAddress.Parse(FlowScript.Client6));
        Assert.Equal((IpProtocol.IcmpV6, (byte)1, (byte)1), (Packets.Parse(answer).Protocol, Packets.Parse(answer).IcmpType, Packets.Parse(answer).IcmpCode));
        Assert.Equal(1, To("198.51.100.7", neighbour.ToUplink));
    }

    [LinuxRootFact]
    public void without_the_prefix_the_ruleset_lets_both_leave_as_lethe_does()
    {
        Assert.Null(NftCheck.WhyNot());
        using var kernel = KernelFirewall.Open(1, FlowScript.Uplink4, FlowScript.Uplink6, uplinkPrefix4: 32, uplinkPrefix6: 128);
        kernel.Load(Content, new NftOptions());

        var broadcast = kernel.Send(Packets.Udp(FlowScript.Client4, "198.51.100.255", 40000, 137, payload: 20), fromUplink: false);
        var anycast = kernel.Send(Packets.Tcp(FlowScript.Client6, "2001:db8:ff::", 40000, 22, TcpFlags.Syn), fromUplink: false);

        Assert.Equal(1, To("198.51.100.255", broadcast.ToUplink));
        Assert.Equal(1, To("2001:db8:ff::", anycast.ToUplink));
    }

    /// <summary>How many of <paramref name="seen"/> go to <paramref name="destination"/> (the links' own IPv6 chatter aside).</summary>
    private static int To(string destination, List<byte[]> seen) =>
        seen.Count(p => PacketParser.TryParse(p, out var info, out _) && info.Destination == NetAddress.Parse(destination));
}
