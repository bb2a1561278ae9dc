using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Dns;

/// <summary>What one resolution of a dsthost name came to.</summary>
public enum DnsOutcome
{
    /// <summary>
    /// The resolvers answered for both families (NOERROR, or NXDOMAIN for one of them). The addresses
    /// may be empty, or of one family only: "resolved to nothing" for the missing family.
    /// </summary>
    Resolved,

    /// <summary>NXDOMAIN for both families: the name does not exist; resolved to nothing.</summary>
    NameError,

    /// <summary>No usable answer (timeout, SERVFAIL, REFUSED, truncated, malformed, invalid name): unresolved.</summary>
    Failed,
}

/// <summary>
/// The answer for a name: its A and AAAA addresses (A first, no duplicates), how long it may be
/// kept (the smallest TTL that went into it; zero when unknown or on failure), and the outcome.
/// <see cref="Detail"/> says, for people, what happened (a failure's cause, per family).
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

/// <summary>Resolves one name to its addresses; <see cref="DnsResolver"/> over UDP, or a fake in tests.</summary>
public interface IDnsResolver
{
    /// <summary>
    /// Resolves <paramref name="name"/>. Failures come back as <see cref="DnsOutcome.Failed"/>, not as
    /// exceptions; only cancellation of <paramref name="ct"/> throws.
    /// </summary>
    Task<DnsAnswer> Resolve(string name, CancellationToken ct);
}
