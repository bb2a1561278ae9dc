using System.Text;

namespace Lethe.Domain.Rules;

/// <summary>
/// One parsed Qubes firewall rule. At most one of <see cref="Network"/> and <see cref="Host"/> is set.
/// <see cref="ToString"/> writes the canonical form: action, expire, dst4|dst6|dsthost, proto,
/// specialtarget, dstports, icmptype, comment.
/// </summary>
public sealed record Rule(
    RuleAction Action,
    long? Expire = null,
    Cidr? Network = null,
    string? Host = null,
    RuleProtocol? Protocol = null,
    bool DnsTarget = false,
    PortRange? Ports = null,
    int? IcmpType = null,
    string? Comment = null)
{
    /// <summary>True when the rule names an explicit dst4 or dst6 network (what may open another client).</summary>
    public bool HasExplicitNetwork => Network is not null;

    public bool IsExpiredAt(long unixSeconds) => Expire is { } expire && expire <= unixSeconds;

    /// <summary>The rule as the packet path receives it: no comment, which only the control plane keeps.</summary>
    public Rule WithoutComment() => Comment is null ? this : this with { Comment = null };

    public override string ToString()
    {
        var text = new StringBuilder("action=").Append(Format(Action));
        if (Expire is { } expire)
        {
            text.Append(" expire=").Append(expire);
        }
        if (Network is { } network)
        {
            text.Append(network.IsIPv4 ? " dst4=" : " dst6=").Append(network);
        }
        else if (Host is not null)
        {
            text.Append(" dsthost=").Append(Host);
        }
        if (Protocol is { } protocol)
        {
            text.Append(" proto=").Append(Format(protocol));
        }
        if (DnsTarget)
        {
            text.Append(" specialtarget=dns");
        }
        if (Ports is { } ports)
        {
            text.Append(" dstports=").Append(ports);
        }
        if (IcmpType is { } icmpType)
        {
            text.Append(" icmptype=").Append(icmpType);
        }
        if (Comment is not null)
        {
            text.Append(" comment=").Append(Comment);
        }
        return text.ToString();
    }

    public static string Format(RuleAction action) => action switch
    {
        RuleAction.Accept => "accept",
        RuleAction.Drop => "drop",
        _ => "reject",
    };

    public static string Format(RuleProtocol protocol) => protocol switch
    {
        RuleProtocol.Tcp => "tcp",
        RuleProtocol.Udp => "udp",
        _ => "icmp",
    };
}
