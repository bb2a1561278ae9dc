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
            throw new PolicyTooLargeException(
                $"{PolicySize.Describe(content)} does not fit, compiled, in the memory this process may use ({PolicySize.AvailableMiB} MiB): " +
                "its tables grow with the clients and with the square of a client's rules; give the firewall more memory or the policy fewer rules");
        }
    }
}
