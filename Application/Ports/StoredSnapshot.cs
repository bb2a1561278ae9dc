using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;

namespace Lethe.Application.Ports;

/// <summary>A sealed snapshot and the draft it came from (with comments and tests, for diff and rollback).</summary>
public sealed record StoredSnapshot(SealedSnapshot Sealed, DraftContent Draft);
