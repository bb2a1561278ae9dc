using JasperFx.Events;
using Lethe.Domain.Policies;

namespace Lethe.Infrastructure.Marten;

/// <summary>
/// Folds a policy's fetched events in one pass (<see cref="Policy.FoldAll"/>). Marten's live
/// aggregation would hand them to <see cref="PolicyDraftProjection"/> one at a time, each copying
/// the draft, which made folding a long log, or one with thousands of clients, take seconds.
/// </summary>
internal static class PolicyLog
{
    /// <summary>The policy as the first <paramref name="count"/> of <paramref name="events"/> leave it; null when they do not start with its creation.</summary>
    public static Policy? Fold(IReadOnlyList<IEvent> events, int count)
    {
        if (count == 0 || events[0].Data is not PolicyCreated created)
        {
            return null;
        }
        var data = new object[count - 1];
        for (var i = 1; i < count; i++)
        {
            data[i - 1] = events[i].Data;
        }
        return Policy.Start(created).FoldAll(data) with { Version = events[count - 1].Version };
    }
}
