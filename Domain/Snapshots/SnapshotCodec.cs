using System.Security.Cryptography;
using System.Text.Json;
using Lethe.Domain.Evaluation;
using Lethe.Domain.Policies;

namespace Lethe.Domain.Snapshots;

public static class SnapshotCodec
{
    /// <summary>Deterministic: the same content always gives the same bytes.</summary>
    public static byte[] ToBytes(SnapshotContent content) =>
        JsonSerializer.SerializeToUtf8Bytes(content, SnapshotJson.Default.SnapshotContent);

    public static SnapshotContent ContentFromBytes(ReadOnlySpan<byte> bytes) =>
        JsonSerializer.Deserialize(bytes, SnapshotJson.Default.SnapshotContent)
        ?? throw new JsonException("the snapshot content is empty");

    public static byte[] ToFile(SealedSnapshot snapshot) =>
        JsonSerializer.SerializeToUtf8Bytes(snapshot, SnapshotJson.Default.SealedSnapshot);

    public static SealedSnapshot FromFile(ReadOnlySpan<byte> bytes) =>
        JsonSerializer.Deserialize(bytes, SnapshotJson.Default.SealedSnapshot)
        ?? throw new JsonException("the snapshot file is empty");

    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The enforceable part of a draft: comments and tests stay in the control plane.</summary>
    /// <exception cref="DomainException">
    /// A rule stored by a build that read rules more loosely, which this one refuses (422, naming it): the
    /// log replays it, but it cannot be sealed until it is replaced or removed.
    /// </exception>
    public static SnapshotContent FromDraft(string policy, DraftContent draft) =>
        new(SnapshotContent.CurrentFormat, policy,
            draft.Clients.Select(c => new SnapshotClient(c.Name, c.Addresses,
                c.Rules.Select(r => new SnapshotRule(r.Id, Sealable(c.Name, r))).ToArray())).ToArray());

    private static string Sealable(string client, DraftRule rule) =>
        Rules.RuleParser.TryParse(rule.Rule, 0, out var parsed, out var error)
            ? parsed.WithoutComment().ToString()
            : throw new DomainException(Refusal.Unprocessable,
                $"Client {client}, rule {rule.Id} ({rule.Rule}): {error.Message.TrimEnd('.')}. This build no longer takes that rule: replace or remove it.");

    /// <summary>
    /// The first rule of <paramref name="draft"/> that <see cref="FromDraft"/> refuses, or null: for a caller
    /// re-reading a version already sealed, whom that refusal's advice (edit the draft) does not fit.
    /// </summary>
    public static (string Client, DraftRule Rule)? UnsealableRule(DraftContent draft)
    {
        foreach (var client in draft.Clients)
        {
            foreach (var rule in client.Rules)
            {
                if (!Rules.RuleParser.TryParse(rule.Rule, 0, out _, out _))
                {
                    return (client.Name, rule);
                }
            }
        }
        return null;
    }

    public static PolicyModel ToModel(SnapshotContent content) =>
        PolicyModel.From(content.Clients.Select(c => (c.Name, c.Addresses, c.Rules.Select(r => (r.Id, r.Rule)))));
}
