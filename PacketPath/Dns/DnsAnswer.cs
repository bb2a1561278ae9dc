using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Dns;

/// <summary>What asking for one family of a dsthost name (its A or its AAAA records) came to.</summary>
public enum DnsOutcome
{
    /// <summary>The resolvers answered NOERROR. The addresses may be empty: "resolved to nothing" for that family.</summary>
    Resolved,

    /// <summary>NXDOMAIN: the name does not exist; resolved to nothing for that family.</summary>
    NameError,

    /// <summary>No usable answer (timeout, SERVFAIL, REFUSED, truncated, malformed, invalid name): unresolved for that family.</summary>
    Failed,
}

/// <summary>
/// The answer for one family of a name: its A or its AAAA addresses (no duplicates), how long they may
/// be kept (zero when unknown or on failure), and the outcome. <see cref="Detail"/> says, for people,
/// what happened (a failure's cause).
/// </summary>
public sealed record DnsAnswer(NetAddress[] Addresses, TimeSpan Ttl, DnsOutcome Outcome, string? Detail = null)
{
    public static DnsAnswer Failure(string detail) => new([], TimeSpan.Zero, DnsOutcome.Failed, detail);

    public override string ToString()
    {
        var text = Outcome switch
        {
            DnsOutcome.Resolved when Addresses.Length == 0 => $"resolved to nothing (ttl {Ttl.TotalSeconds:0}s)",
            DnsOutcome.Resolved => $"{string.Join(", ", Addresses)} (ttl {Ttl.TotalSeconds:0}s)",
            DnsOutcome.NameError => $"NXDOMAIN (ttl {Ttl.TotalSeconds:0}s)",
            _ => "unresolved",
        };
        return Detail is null ? text : $"{text}: {Detail}";
    }
}

/// <summary>Resolves one family of a name to its addresses; <see cref="DnsResolver"/> over UDP, or a fake in tests.</summary>
public interface IDnsResolver
{
    /// <summary>
    /// Resolves <paramref name="name"/>'s A records, or its AAAA records when <paramref name="v6"/>: each
    /// family is asked on its own, so that one whose queries go unanswered holds back nothing of the other.
    /// Failures come back as <see cref="DnsOutcome.Failed"/>, not as exceptions; only cancellation of
    /// <paramref name="ct"/> throws.
    /// </summary>
    Task<DnsAnswer> Resolve(string name, bool v6, CancellationToken ct);
}
