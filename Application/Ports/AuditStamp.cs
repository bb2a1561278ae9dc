namespace Lethe.Application.Ports;

/// <summary>Who made a change, why, and which request it belongs to; stored in the event store's own metadata.</summary>
public sealed record AuditStamp(string Actor, string Reason, string CorrelationId);
