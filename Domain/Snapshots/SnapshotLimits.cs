using Lethe.Domain.Policies;

namespace Lethe.Domain.Snapshots;

/// <summary>
/// What every firewall can take, so that the control plane never seals a snapshot that verifies yet
/// no firewall boots: publish refuses past these, and the firewall reads no more.
/// </summary>
public static class SnapshotLimits
{
    /// <summary>The largest signed file a firewall reads, from a file or a URL.</summary>
    public const int MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>The largest trusted-key file read (lethe-firewall --trust, lethe snapshot verify --trust): a PEM public key is a few hundred bytes.</summary>
    public const int MaxKeyBytes = 64 * 1024;

    /// <summary>The most clients a firewall tells apart: a flow entry numbers its client in 16 bits.</summary>
    public const int MaxClients = ushort.MaxValue + 1;

    /// <summary>
    /// The most rules one client may have. A firewall's tables for a client grow with the square of its
    /// rules (a bit per rule in a row per address and port boundary): 10,000 rules of distinct
    /// addresses take about 15 MiB and 0.4 s to compile, 20,000 four times that.
    /// </summary>
    public const int MaxRulesPerClient = 10_000;

    /// <exception cref="DomainException">Unprocessable (422), naming the limit and the figure.</exception>
    public static void Check(SealedSnapshot snapshot, DraftContent draft)
    {
        if (draft.Clients.Count > MaxClients)
        {
            throw new DomainException(Refusal.Unprocessable,
                $"Policy {snapshot.Policy} has {draft.Clients.Count} clients; a firewall tells at most {MaxClients} apart. Nothing was published.");
        }
        foreach (var client in draft.Clients)
        {
            if (client.Rules.Count > MaxRulesPerClient)
            {
                throw new DomainException(Refusal.Unprocessable,
                    $"Client {client.Name} of policy {snapshot.Policy} has {client.Rules.Count} rules; a firewall takes at most {MaxRulesPerClient} per client " +
                    "(its tables for a client grow with the square of the client's rules). Nothing was published: remove rules, or merge rules into networks.");
            }
        }
        var bytes = SnapshotCodec.ToFile(snapshot).Length;
        if (bytes > MaxFileBytes)
        {
            throw new DomainException(Refusal.Unprocessable,
                $"The sealed snapshot of policy {snapshot.Policy} would be {bytes / (1024.0 * 1024.0):0.0} MiB; a firewall reads at most {MaxFileBytes / (1024 * 1024)} MiB. " +
                "Nothing was published: remove rules or clients (long dsthost names count; comments are not sealed).");
        }
    }
}
