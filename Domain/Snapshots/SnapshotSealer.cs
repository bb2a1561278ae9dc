namespace Lethe.Domain.Snapshots;

public static class SnapshotSealer
{
    /// <param name="sealedAt">Kept to whole milliseconds (UTC), the precision the signature covers.</param>
    /// <param name="sign">Signs the given bytes (<see cref="SignedEnvelope.Bytes(SealedSnapshot)"/>); the private key stays with the caller.</param>
    public static SealedSnapshot Seal(byte[] contentBytes, string policy, int version, long logPosition, DateTimeOffset sealedAt,
        string keyId, Func<byte[], byte[]> sign)
    {
        var unsigned = new SealedSnapshot(SealedSnapshot.CurrentFormat, policy, version, logPosition,
            DateTimeOffset.FromUnixTimeMilliseconds(sealedAt.ToUnixTimeMilliseconds()),
            SnapshotCodec.Sha256Hex(contentBytes), keyId, Signature: "", Convert.ToBase64String(contentBytes));
        return unsigned with { Signature = Convert.ToBase64String(sign(SignedEnvelope.Bytes(unsigned))) };
    }
}
