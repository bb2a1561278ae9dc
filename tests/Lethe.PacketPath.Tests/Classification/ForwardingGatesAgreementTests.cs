using System.Net;
using Lethe.Domain.Evaluation;
using Lethe.Domain.Policies;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Classification;

/// <summary>
/// Publish-time tests judge by the control plane's copy of the engine's checks before any rule
/// (<see cref="ForwardingGates"/>); if the two drifted apart, a test could pass for traffic the
/// firewall drops, or fail for traffic it lets through.
/// </summary>
public class ForwardingGatesAgreementTests
{
    [Fact]
    public void the_control_plane_and_the_engine_agree_on_every_icmp_type_that_opens_a_flow()
    {
        for (var type = 0; type < 256; type++)
        {
            Assert.True(IcmpV4Message.IsRequestType((byte)type) == ForwardingGates.IsRequest(FlowQuery.Icmp, type), $"ICMP type {type}");
            Assert.True(IcmpV6Message.IsRequestType((byte)type) == ForwardingGates.IsRequest(FlowQuery.IcmpV6, type), $"ICMPv6 type {type}");
        }
    }

    [Fact]
    public void the_control_plane_and_the_engine_agree_on_which_destinations_are_never_forwarded()
    {
        var random = new Random(20261129);
        var addresses = new List<IPAddress>();
        for (var first = 0; first < 256; first++)
        {
            addresses.Add(new IPAddress(new byte[] { (byte)first, 0, 0, 1 }));
            addresses.Add(new IPAddress(new byte[] { (byte)first, 254, 255, 255 }));
            addresses.Add(new IPAddress(new byte[] { (byte)first, (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256) }));
            var v6 = new byte[16];
            random.NextBytes(v6);
            v6[0] = (byte)first;
            addresses.Add(new IPAddress(v6));
            v6[1] = (byte)random.Next(256);
            addresses.Add(new IPAddress(v6));
        }
        foreach (var text in new[] { "169.254.0.1", "169.255.0.1", "255.255.255.255", "255.255.255.254", "::", "::1", "::2", "fe80::1", "febf::1", "fec0::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:192.0.2.5", "::ffff:0:0", "::ffff:255.255.255.255", "::fffe:ffff:ffff", "::1:0:0:0", "::ffff:0:102:304", "0:0:0:1::ffff:192.0.2.5" })
        {
            addresses.Add(IPAddress.Parse(text));
        }

        foreach (var address in addresses)
        {
            Assert.True(NetAddress.From(address).IsNeverForwarded == ForwardingGates.IsNeverForwarded(address), address.ToString());
        }
    }

    [Theory]
    [InlineData("::ffff:192.0.2.5", true)]
    [InlineData("::ffff:0:0", true)]
    [InlineData("::ffff:255.255.255.255", true)]
    [InlineData("::fffe:ffff:ffff", false)]
    [InlineData("::1:0:0:0", false)]
    [InlineData("::ffff:0:102:304", false)]
    [InlineData("64:ff9b::192.0.2.5", false)]
    public void ipv4_mapped_addresses_are_never_forwarded_by_either(string text, bool never)
    {
        var address = IPAddress.Parse(text);

        Assert.Equal(never, NetAddress.From(address).IsNeverForwarded);
        Assert.Equal(never, ForwardingGates.IsNeverForwarded(address));
    }
}
