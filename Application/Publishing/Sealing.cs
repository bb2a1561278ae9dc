using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;

namespace Lethe.Application.Publishing;

/// <summary>Seals content bytes into a signed snapshot and stores it with the event that made it.</summary>
public sealed class Sealing(ISnapshotSigner signer, IPolicyStore store, TimeProvider clock)
{
    public DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>The key this control plane signs with; its sealing events record it.</summary>
    public string KeyId => signer.KeyId;

    public async Task<Published> Store(Policy policy, AuditStamp audit, object @event, int version, long logPosition, byte[] content,
        DraftContent draft, DateTimeOffset? confirmBy, CancellationToken ct)
    {
        var snapshot = SnapshotSealer.Seal(content, policy.Id, version, logPosition, clock.GetUtcNow(), signer.KeyId, signer.Sign);
        SnapshotLimits.Check(snapshot, draft);
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

    /// <summary>
    /// A stored version whose content is to be signed again (rollback, revert), checked first against
    /// the audited log, the trust root: the content hash the log recorded for that version, and the
    /// bytes hashing to it; where this key sealed it, its signature must verify too. The draft that
    /// goes back into the log with it is the log's own (the one it sealed), not the one kept beside it.
    /// Otherwise a change to the database made outside Lethe, without the key, would come out signed.
    /// </summary>
    public async Task<StoredSnapshot> Require(string policy, int version, CancellationToken ct)
    {
        var (stored, unreadable) = await Restorable(policy, version, ct);
        return stored ?? throw new Domain.DomainException(Domain.Refusal.Unprocessable,
            $"Version {version} of policy {policy} {unreadable}, so it cannot be restored. Nothing was signed.");
    }

    /// <summary>
    /// As <see cref="Require"/>, but where the log itself holds content for the version that this build
    /// no longer reads, that is answered (Unreadable, a phrase that follows "version K") rather than
    /// refused: the one refusal no repair of the database lifts, which the watchdog's revert records.
    /// </summary>
    public async Task<(StoredSnapshot? Stored, string? Unreadable)> Restorable(string policy, int version, CancellationToken ct)
    {
        var stored = await store.Snapshot(policy, version, ct)
            ?? throw new Domain.DomainException(Domain.Refusal.NotFound, $"Policy {policy} has no version {version}.");
        var recorded = await store.RecordedSnapshot(policy, version, ct);
        var problem = StoredProblem(stored.Sealed, recorded);
        if (problem is null && Unreadable(policy, recorded!.Draft, recorded.ContentSha256) is { } unreadable)
        {
            return (null, unreadable);
        }
        problem ??= SignatureProblem(stored.Sealed);
        return problem is null
            ? (stored with { Draft = recorded!.Draft }, null)
            : throw new Domain.DomainException(Domain.Refusal.Unprocessable,
                $"Version {version} of policy {policy} as stored {problem}. Nothing was signed.");
    }

    /// <summary>Whether the stored copy is the content the log recorded for the version.</summary>
    private static string? StoredProblem(SealedSnapshot sealedSnapshot, RecordedSnapshot? recorded)
    {
        if (recorded is null || recorded.ContentSha256 != sealedSnapshot.ContentSha256)
        {
            return $"names content (sha256 {Short(sealedSnapshot.ContentSha256)}) other than the log recorded for it (sha256 {Short(recorded?.ContentSha256)}): {Tampered}";
        }
        byte[] content;
        try
        {
            content = Convert.FromBase64String(sealedSnapshot.Content);
        }
        catch (FormatException)
        {
            return $"has content that is not base64: {Tampered}";
        }
        return SnapshotCodec.Sha256Hex(content) == sealedSnapshot.ContentSha256 ? null : $"does not hash to the SHA-256 it recorded: {Tampered}";
    }

    /// <summary>
    /// Why this build cannot seal the log's own draft for a version to the content the log recorded for
    /// it, or null when it can. Decided by the log alone: no change to a stored copy makes a version unrestorable.
    /// </summary>
    private static string? Unreadable(string policy, DraftContent draft, string contentSha256)
    {
        byte[] content;
        try
        {
            content = SnapshotCodec.ToBytes(SnapshotCodec.FromDraft(policy, draft));
        }
        catch (Domain.DomainException) when (SnapshotCodec.UnsealableRule(draft) is { } refused)
        {
            // Not its message, which advises editing the draft: no edit changes what the version sealed.
            return $"holds rule {refused.Rule.Id} of client {refused.Client} ({refused.Rule.Rule}), which this build no longer reads";
        }
        // The log's own draft for the version no longer seals to its bytes: sealed in an older content format.
        return SnapshotCodec.Sha256Hex(content) == contentSha256
            ? null
            : "holds content in a format this control plane no longer seals, which no firewall of this build reads";
    }

    private string? SignatureProblem(SealedSnapshot sealedSnapshot)
    {
        if (sealedSnapshot.KeyId != signer.KeyId || sealedSnapshot.Format != SealedSnapshot.CurrentFormat)
        {
            return null; // sealed by an earlier key, whose public half this control plane no longer holds, or in an older format
        }
        try
        {
            SnapshotVerifier.Verify(SnapshotCodec.ToFile(sealedSnapshot), signer.PublicKeyPem);
            return null;
        }
        catch (SnapshotVerificationException e)
        {
            return $"does not verify ({e.Message}): {Tampered}";
        }
    }

    private const string Tampered = "the database was changed outside Lethe";

    private static string Short(string? sha) => sha is null ? "none" : sha.Length > 16 ? sha[..16] + "…" : sha;
}
