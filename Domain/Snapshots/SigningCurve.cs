using System.Security.Cryptography;

namespace Lethe.Domain.Snapshots;

/// <summary>Lethe signs with ECDSA on NIST P-256 only; a key on another 256-bit curve (secp256k1, brainpool) is not one of its keys.</summary>
public static class SigningCurve
{
    private const string NistP256Oid = "1.2.840.10045.3.1.7";

    public static bool IsP256(ECDsa key)
    {
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        return curve.IsNamed && (curve.Oid.Value == NistP256Oid || curve.Oid.FriendlyName is "nistP256" or "ECDSA_P256" or "prime256v1");
    }
}
