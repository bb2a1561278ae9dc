namespace Lethe.Domain.Snapshots;

public static class SnapshotSealer
{
    /// <param name="sign">Signs the exact content bytes; the private key stays with the caller.</param>
    public static SealedSnapshot Seal(byte[] contentBytes, string policy, int version, long logPosition, DateTimeOffset sealedAt,
        string keyId, Func<byte[], byte[]> sign) =>
        new(SealedSnapshot.CurrentFormat, policy, version, logPosition, sealedAt,
            SnapshotCodec.Sha256Hex(contentBytes), keyId, Convert.ToBase64String(sign(contentBytes)), Convert.ToBase64String(contentBytes));
}
