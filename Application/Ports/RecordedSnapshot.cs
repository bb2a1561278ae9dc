using Lethe.Domain.Policies;

namespace Lethe.Application.Ports;

/// <summary>A sealed version as the event log records it: its content hash and the draft it sealed.</summary>
public sealed record RecordedSnapshot(string ContentSha256, DraftContent Draft);
