using Lethe.Domain.Snapshots;

namespace Lethe.Firewall;

/// <summary>A policy's size in words (clients, rules, the most in one client): what a refusal for memory names.</summary>
public static class PolicySize
{
    public static string Describe(SnapshotContent content)
    {
        var rules = 0;
        var most = 0;
        foreach (var client in content.Clients)
        {
            rules += client.Rules.Count;
            most = Math.Max(most, client.Rules.Count);
        }
        return $"policy {content.Policy} ({Count(content.Clients.Count, "client")}, {Count(rules, "rule")}, at most {most} in one client)";
    }

    /// <summary>The memory this process may use, in MiB (a container's limit or DOTNET_GCHeapHardLimit sets it).</summary>
    public static long AvailableMiB => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 20;

    private static string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";
}
