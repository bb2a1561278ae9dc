using System.Net;

namespace Lethe.Domain.Evaluation;

/// <summary>
/// What the rules depend on beyond the packet: the time (for expire), the configured DNS
/// resolvers (for specialtarget=dns) and the answers for dsthost names. A name that is missing
/// from <see cref="ResolvedHosts"/> is unresolved; a name mapped to an empty list resolved to nothing.
/// </summary>
public sealed record EvaluationEnvironment(
    long NowUnix,
    IReadOnlyList<IPAddress> DnsResolvers,
    IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> ResolvedHosts);
