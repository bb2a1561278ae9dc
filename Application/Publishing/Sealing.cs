using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;

namespace Lethe.Application.Publishing;

/// <summary>Seals content bytes into a signed snapshot and stores it with the event that made it.</summary>
public sealed class Sealing(ISnapshotSigner signer, IPolicyStore store, TimeProvider clock)
{
    public DateTimeOffset Now => clock.GetUtcNow();

    public async Task<Published> Store(Policy policy, AuditStamp audit, object @event, int version, long logPosition, byte[] content,
        DraftContent draft, DateTimeOffset? confirmBy, CancellationToken ct)
    {
        var snapshot = SnapshotSealer.Seal(content, policy.Id, version, logPosition, clock.GetUtcNow(), signer.KeyId, signer.Sign);
        var streamVersion = await store.Append(policy.Id, policy.Version, [@event], audit, new StoredSnapshot(snapshot, draft), ct);
        return new Published(policy.Id, version, snapshot.ContentSha256, snapshot.KeyId, snapshot.SealedAt, confirmBy, streamVersion);
    }

    /// <summary>
    /// Whether <paramref name="version"/> was sealed otherwise than this control plane seals now: with
    /// another key (a rotated one) or in an older format (one firewalls no longer boot).
    /// </summary>
    public async Task<bool> SealedOtherwise(string policy, int version, CancellationToken ct) =>
        await store.SnapshotSummary(policy, version, ct) is { } summary
        && (summary.KeyId != signer.KeyId || summary.Format != SealedSnapshot.CurrentFormat);

    public async Task<StoredSnapshot> Require(string policy, int version, CancellationToken ct) =>
        await store.Snapshot(policy, version, ct)
        ?? throw new Domain.DomainException(Domain.Refusal.NotFound, $"Policy {policy} has no version {version}.");
}
