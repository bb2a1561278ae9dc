using Lethe.Application.Ports;
using Lethe.Domain;

namespace Lethe.Application.Snapshots;

/// <summary>The sealed version a request names: "latest" read from the policy's publishing state, not its draft.</summary>
internal static class SnapshotVersion
{
    public static async Task<int> Resolve(IPolicyStore store, string policy, string version, CancellationToken ct)
    {
        if (version != "latest")
        {
            return int.Parse(version, System.Globalization.CultureInfo.InvariantCulture);
        }
        var publishing = await store.Publishing(policy, ct) ?? throw new DomainException(Refusal.NotFound, $"There is no policy named {policy}.");
        return publishing.LatestVersion != 0
            ? publishing.LatestVersion
            : throw new DomainException(Refusal.NotFound, $"Policy {policy} has not been published yet.");
    }
}
