namespace Lethe.Domain.Policies;

public sealed record ClientDraft(string Name, IReadOnlyList<string> Addresses, IReadOnlyList<DraftRule> Rules);
