namespace Lethe.Domain.Policies;

/// <summary>
/// An assertion checked at every publish, in the spirit of Tailscale's ACL tests: traffic from
/// <see cref="Client"/> to <see cref="To"/> must get <see cref="Expect"/> (accept or drop; a reject counts as drop).
/// </summary>
public sealed record PolicyTest(string Id, string Client, string To, string? Proto, int? Port, int? IcmpType, string Expect)
{
    /// <summary>
    /// Every publish runs every test against its client's rules, a walk over up to
    /// <see cref="Snapshots.SnapshotLimits.MaxRulesPerClient"/> of them; at this many a client's tests cost
    /// a tenth of compiling its rules (which grows with their square) and never dominate a publish.
    /// </summary>
    public const int MaxPerClient = 1_000;

    /// <summary>"work -> 192.0.2.1 icmp type 8 expect drop": what it checks, as history and diff print it.</summary>
    public string Describe()
    {
        var what = IcmpType is { } type ? $" type {type}" : Port is { } port ? $" port {port}" : "";
        return $"{Client} -> {To}{(Proto is null ? "" : $" {Proto}")}{what} expect {Expect}";
    }
}
