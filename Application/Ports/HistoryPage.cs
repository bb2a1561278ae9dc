namespace Lethe.Application.Ports;

/// <summary>Entries of a policy's history, oldest first.</summary>
/// <param name="Before">
/// The cursor of the next older page (the <see cref="HistoryEntry.Sequence"/> of this page's oldest entry) when
/// older entries remain, else null.
/// </param>
public sealed record HistoryPage(IReadOnlyList<HistoryEntry> Entries, long? Before);
