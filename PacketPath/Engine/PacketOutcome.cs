using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Engine;

/// <summary>What the engine did with one packet. The packet itself is rewritten in place.</summary>
public struct PacketOutcome
{
    public bool Forwarded;

    /// <summary>Where to send the (rewritten) packet: a client index or <see cref="Ingress.Uplink"/>.</summary>
    public int Egress;

    /// <summary>Bytes of the packet to send (trailing bytes past the IP length are cut).</summary>
    public int Length;

    public DropReason Reason;

    /// <summary>
    /// A forwarded IPv4 packet without DF larger than the MTU of the device it leaves by (a super-packet:
    /// whose segments are): that MTU, which its fragments must fit (<see cref="Wire.Ipv4Fragmenter"/>);
    /// 0 when it leaves as it is.
    /// </summary>
    public int FragmentMtu;

    /// <summary>
    /// A later fragment that came before the part of its datagram it continues (its first fragment,
    /// or one before it), when the caller offered to hold it: not judged, nor counted as a drop, so
    /// the caller may give it to the engine again once <see cref="PacketEngine.Continues"/> says its
    /// turn has come. <see cref="Reason"/> is <see cref="DropReason.FragmentWithoutFlow"/>.
    /// </summary>
    public bool Early;

    /// <summary>The client the packet belongs to (sender or receiver), -1 when none.</summary>
    public int Client;

    /// <summary>The rule that decided a new flow (or the drop), -1 for the default drop or an existing flow.</summary>
    public int RuleIndex;

    public bool NewFlow;

    /// <summary>Length of an ICMP error or TCP reset the firewall wrote into the reply buffer, 0 for none.</summary>
    public int ReplyLength;

    /// <summary>Where to send the reply: back to the sender.</summary>
    public int ReplyEgress;
}
