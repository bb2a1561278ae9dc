using System.Security.Cryptography;
using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;

namespace Lethe.Domain.Tests;

/// <summary>Seals drafts with a real ECDSA P-256 key, as publish does.</summary>
internal static class Snapshots
{
    public static readonly DateTimeOffset SealedAt = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public static ECDsa NewKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public static DraftContent SampleDraft() => new(
        [
            new ClientDraft("work", ["10.137.0.10", "fd00:137::10"],
            [
                new DraftRule("web", "action=accept proto=tcp dstports=443-443 comment=browsing"),
                new DraftRule("dns", "action=accept specialtarget=dns"),
            ]),
        ],
        []);

    public static SealedSnapshot Seal(ECDsa key, DraftContent? draft = null, string policy = "p")
    {
        var bytes = SnapshotCodec.ToBytes(SnapshotCodec.FromDraft(policy, draft ?? SampleDraft()));
        return SnapshotSealer.Seal(bytes, policy, 1, 42, SealedAt, KeyIds.Of(key), data => Sign(key, data));
    }

    public static byte[] Sign(ECDsa key, byte[] data) =>
        key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public static byte[] File(ECDsa key, DraftContent? draft = null) => SnapshotCodec.ToFile(Seal(key, draft));

    public static string Pem(ECDsa key) => key.ExportSubjectPublicKeyInfoPem();

    public static byte[] Flip(byte[] bytes, int index)
    {
        var copy = bytes.ToArray();
        copy[index] ^= 0x01;
        return copy;
    }
}
