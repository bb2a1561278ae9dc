using System.Security.Cryptography;

namespace Lethe.Domain.Snapshots;

public static class KeyIds
{
    /// <summary>The first 16 hex digits of the SHA-256 of the public key's SubjectPublicKeyInfo.</summary>
    public static string Of(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
}
