namespace Lethe.Domain.Snapshots;

/// <summary>
/// The file a firewall boots from. <see cref="Content"/> is the base64 of the exact signed bytes,
/// so verifying never depends on re-serialising JSON.
/// </summary>
/// <param name="LogPosition">The policy stream's version that the content was sealed from.</param>
/// <param name="Signature">
/// Base64 ECDSA P-256 / SHA-256 signature (IEEE P1363 r||s) over <see cref="SignedEnvelope.Bytes(SealedSnapshot)"/>:
/// every other field, the content by its hash.
/// </param>
public sealed record SealedSnapshot(
    string Format,
    string Policy,
    int Version,
    long LogPosition,
    DateTimeOffset SealedAt,
    string ContentSha256,
    string KeyId,
    string Signature,
    string Content)
{
    public const string CurrentFormat = "lethe.snapshot/2";

    /// <summary>Signed the content alone, so its version could be changed without breaking the signature.</summary>
    public const string UnsignedEnvelopeFormat = "lethe.snapshot/1";
}
