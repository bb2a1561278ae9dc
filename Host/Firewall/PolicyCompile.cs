using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Wire;

namespace Lethe.Firewall;

/// <summary>
/// Compiles a verified policy. Out of memory here is the policy's size, not the flow tables': said
/// as such, so that boot and replay do not blame --max-flows for it.
/// </summary>
public static class PolicyCompile
{
    /// <exception cref="PolicyTooLargeException">The compiled policy does not fit in the memory this process may use.</exception>
    public static CompiledPolicy Run(SnapshotContent content, IReadOnlyList<NetAddress> dnsResolvers)
    {
        try
        {
            return CompiledPolicy.Compile(content, dnsResolvers);
        }
        catch (OutOfMemoryException)
        {
            var rules = 0;
            var most = 0;
            foreach (var client in content.Clients)
            {
                rules += client.Rules.Count;
                most = Math.Max(most, client.Rules.Count);
            }
            throw new PolicyTooLargeException(
                $"policy {content.Policy} ({Count(content.Clients.Count, "client")}, {Count(rules, "rule")}, at most {most} in one client) does not fit, compiled, " +
                $"in the memory this process may use ({GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 20} MiB): its tables grow with the clients " +
                "and with the square of a client's rules; give the firewall more memory or the policy fewer rules");
        }
    }

    private static string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";
}
