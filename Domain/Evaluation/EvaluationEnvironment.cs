using System.Net;
using System.Net.Sockets;

namespace Lethe.Domain.Evaluation;

/// <summary>
/// What the rules depend on beyond the packet: the time (for expire), the configured DNS
/// resolvers (for specialtarget=dns) and the answers for dsthost names. A name that is missing
/// from <see cref="ResolvedHosts"/> is unresolved; a name mapped to an empty list resolved to nothing.
/// </summary>
public sealed record EvaluationEnvironment(
    long NowUnix,
    IReadOnlyList<IPAddress> DnsResolvers,
    IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> ResolvedHosts)
{
    private static readonly IReadOnlyDictionary<string, AddressFamily> None = new Dictionary<string, AddressFamily>();

    /// <summary>
    /// Names of <see cref="ResolvedHosts"/> answered for the one address family given only: the
    /// firewall's resolver asks A and AAAA apart, and a name whose other query failed stays
    /// unresolved for that other family. A name not listed is answered for both.
    /// </summary>
    public IReadOnlyDictionary<string, AddressFamily> OneFamilyOnly { get; init; } = None;

    public bool IsResolved(string host, AddressFamily family) =>
        ResolvedHosts.ContainsKey(host) && (!OneFamilyOnly.TryGetValue(host, out var only) || only == family);
}
