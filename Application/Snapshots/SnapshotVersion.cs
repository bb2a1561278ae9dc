using Lethe.Application.Common;
using Lethe.Application.Ports;
using Lethe.Domain;

namespace Lethe.Application.Snapshots;

/// <summary>The sealed version a request names: "latest" read from the policy's listing, not its draft.</summary>
internal static class SnapshotVersion
{
    public static async Task<int> Resolve(IPolicyStore store, string policy, string version, CancellationToken ct)
    {
        if (version != "latest")
        {
            return int.Parse(version, System.Globalization.CultureInfo.InvariantCulture);
        }
        var latest = await store.LatestVersion(policy, ct) ?? throw UnknownPolicy.Named(policy);
        return latest != 0
            ? latest
            : throw new DomainException(Refusal.NotFound, $"Policy {policy} has not been published yet.");
    }

    /// <summary>Why there is no snapshot of this version: a mistyped policy name is named as such, not as a missing version.</summary>
    public static async Task<DomainException> Missing(IPolicyStore store, string policy, int version, CancellationToken ct) =>
        await store.LatestVersion(policy, ct) is null
            ? UnknownPolicy.Named(policy)
            : new DomainException(Refusal.NotFound, $"Policy {policy} has no version {version}.");
}
