namespace Lethe.Domain.Policies;

/// <summary>A rule in the draft: its stable id and its canonical text (comment included).</summary>
public sealed record DraftRule(string Id, string Rule);
