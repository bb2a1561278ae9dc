using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;

namespace Lethe.Infrastructure.Marten;

/// <summary>One sealed version, inserted once in the same transaction as its event and never updated.</summary>
public sealed class SnapshotDocument
{
    /// <summary>"policy/version", so a version number can never be stored twice.</summary>
    public string Id { get; set; } = "";

    public string Policy { get; set; } = "";

    public int Version { get; set; }

    public SealedSnapshot Sealed { get; set; } = null!;

    public DraftContent Draft { get; set; } = null!;

    public static string IdFor(string policy, int version) => $"{policy}/{version}";
}
