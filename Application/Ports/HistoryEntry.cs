namespace Lethe.Application.Ports;

/// <param name="Version">The snapshot version the event made, where it made one.</param>
/// <param name="Sequence">The event's version within the policy stream.</param>
public sealed record HistoryEntry(DateTimeOffset At, string Actor, string Reason, string CorrelationId, int? Version, long Sequence, string Event, string Summary);
