using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Dns;

/// <summary>What one resolution of a dsthost name came to.</summary>
public enum DnsOutcome
{
    /// <summary>
    /// The resolvers answered for at least one family (NOERROR, or NXDOMAIN for one of them). The
    /// addresses may be empty, or of one family only: "resolved to nothing" for a family answered
    /// without addresses; a family that failed (<see cref="DnsAnswer.FailedFamilies"/>) is unresolved.
    /// </summary>
    Resolved,

    /// <summary>NXDOMAIN for both families: the name does not exist; resolved to nothing.</summary>
    NameError,

    /// <summary>No usable answer for either family (timeout, SERVFAIL, REFUSED, truncated, malformed, invalid name): unresolved.</summary>
    Failed,
}

/// <summary>
/// The answer for a name: its A and AAAA addresses (A first, no duplicates), how long it may be
/// kept (the smallest TTL that went into it; zero when unknown or on failure), and the outcome.
/// <see cref="Detail"/> says, for people, what happened (a failure's cause, per family).
/// </summary>
public sealed record DnsAnswer(NetAddress[] Addresses, TimeSpan Ttl, DnsOutcome Outcome, string? Detail = null)
{
    public static DnsAnswer Failure(string detail) => new([], TimeSpan.Zero, DnsOutcome.Failed, detail) { FailedFamilies = DnsFamilies.Both };

    /// <summary>The families whose query failed: unresolved, whatever the other family answered.</summary>
    public DnsFamilies FailedFamilies { get; init; }

    public override string ToString()
    {
        var text = Outcome switch
        {
            DnsOutcome.Resolved when FailedFamilies != DnsFamilies.None && Addresses.Length == 0 =>
                $"resolved to nothing for {(FailedFamilies == DnsFamilies.V6 ? "IPv4" : "IPv6")} only (ttl {Ttl.TotalSeconds:0}s)",
            DnsOutcome.Resolved when FailedFamilies != DnsFamilies.None =>
                $"{string.Join(", ", Addresses)}, for {(FailedFamilies == DnsFamilies.V6 ? "IPv4" : "IPv6")} only (ttl {Ttl.TotalSeconds:0}s)",
            DnsOutcome.Resolved when Addresses.Length == 0 => $"resolved to nothing (ttl {Ttl.TotalSeconds:0}s)",
            DnsOutcome.Resolved => $"{string.Join(", ", Addresses)} (ttl {Ttl.TotalSeconds:0}s)",
            DnsOutcome.NameError => $"NXDOMAIN (ttl {Ttl.TotalSeconds:0}s)",
            _ => "unresolved",
        };
        return Detail is null ? text : $"{text}: {Detail}";
    }
}

/// <summary>Address families, as flags.</summary>
[Flags]
public enum DnsFamilies
{
    None = 0,
    V4 = 1,
    V6 = 2,
    Both = V4 | V6,
}

/// <summary>Resolves one name to its addresses; <see cref="DnsResolver"/> over UDP, or a fake in tests.</summary>
public interface IDnsResolver
{
    /// <summary>
    /// Resolves <paramref name="name"/>. Failures come back as <see cref="DnsOutcome.Failed"/>, not as
    /// exceptions; only cancellation of <paramref name="ct"/> throws.
    /// </summary>
    /// <param name="firstFamily">
    /// Called, before the task completes, with the answer of whichever family answered while the
    /// other was still being asked (the other named in <see cref="DnsAnswer.FailedFamilies"/>, as not
    /// known yet); not called when neither family answers first or both finish together. An A answer
    /// then need not wait for an AAAA query that times out on every resolver.
    /// </param>
    Task<DnsAnswer> Resolve(string name, CancellationToken ct, Action<DnsAnswer>? firstFamily = null);
}
