using JasperFx.Events;
using Lethe.Domain.Policies;
using Marten;
using Marten.Events.Aggregation;

namespace Lethe.Infrastructure.Marten;

/// <summary>
/// Keeps the draft document inline with every append. The folding itself is the Domain's pure
/// <see cref="Policy.Fold"/>; this class only adapts it to Marten and stamps the stream version.
/// </summary>
public sealed partial class PolicyDraftProjection : SingleStreamProjection<Policy, string>
{
    public override Policy? Evolve(Policy? snapshot, string id, IEvent e)
    {
        var next = e.Data is PolicyCreated created ? Policy.Start(created) : snapshot?.Fold(e.Data);
        return next is null ? null : next with { Version = e.Version };
    }

    /// <summary>
    /// The policy's listing, made from the draft just folded and stored in the same transaction
    /// (LetheStoreOptions turns side effects on for inline projections), so it never disagrees with it.
    /// </summary>
    public override ValueTask RaiseSideEffects(IDocumentOperations operations, IEventSlice<Policy> slice)
    {
        if (slice.Snapshot is { } policy)
        {
            operations.Store(PolicyListing.Of(policy));
        }
        return ValueTask.CompletedTask;
    }
}
