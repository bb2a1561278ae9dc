namespace Lethe.Application.Ports;

/// <summary>Holds the private key; callers only ever get signatures and the key id.</summary>
public interface ISnapshotSigner
{
    string KeyId { get; }

    /// <summary>The public half, to check a stored snapshot this key signed before signing its content again.</summary>
    string PublicKeyPem { get; }

    /// <summary>ECDSA P-256 over SHA-256, IEEE P1363 (r||s), of <paramref name="data"/> (a snapshot's signed envelope).</summary>
    byte[] Sign(byte[] data);
}
