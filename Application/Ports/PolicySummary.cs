namespace Lethe.Application.Ports;

public sealed record PolicySummary(string Name, long Version, int Clients, int Rules, int LatestSnapshot, int? PendingConfirmation);
