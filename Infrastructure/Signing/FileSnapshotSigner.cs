using System.Security.Cryptography;
using Lethe.Application.Ports;
using Lethe.Domain.Snapshots;

namespace Lethe.Infrastructure.Signing;

/// <summary>Signs with the private key file named in configuration; the key never leaves this object.</summary>
public sealed class FileSnapshotSigner : ISnapshotSigner, IDisposable
{
    private readonly ECDsa _key;

    public FileSnapshotSigner(string privateKeyPath)
    {
        if (Directory.Exists(privateKeyPath))
        {
            // The folder keygen wrote to, given for the key in it: saying it does not exist would send the operator to make a new key.
            throw new InvalidOperationException($"The signing key {privateKeyPath} is a folder; name the private key file in it ({Path.Combine(privateKeyPath, SigningKeyFiles.PrivateKeyFile)}).");
        }
        if (!File.Exists(privateKeyPath))
        {
            throw new FileNotFoundException($"The signing key {privateKeyPath} does not exist; make one with `lethe keygen --out DIR`.", privateKeyPath);
        }
        string pem;
        try
        {
            pem = ReadBounded(privateKeyPath)
                ?? throw new InvalidOperationException($"The signing key {privateKeyPath} is larger than {SnapshotLimits.MaxKeyBytes / 1024} KiB, which no PEM private key is; " +
                    $"Lethe:SigningKey must name the private key ({SigningKeyFiles.PrivateKeyFile}).");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new InvalidOperationException($"The signing key {privateKeyPath} cannot be read by this user: {e.Message}");
        }
        if (!pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            // A public key imports too, and would fail only at the first publish, as a 500.
            throw new InvalidOperationException($"{privateKeyPath} holds no private key; Lethe:SigningKey must name the private key (lethe-signing.key), not the public one.");
        }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(privateKeyPath) & OpenToOthers) != 0)
        {
            // Anyone who can read it can sign snapshots every firewall trusts; refused as ssh refuses such a key.
            throw new InvalidOperationException($"The signing key {privateKeyPath} is open to other users (mode {Octal(File.GetUnixFileMode(privateKeyPath))}): " +
                $"run `chmod 600 {privateKeyPath}` (keygen makes it so), and make a new key if others may have read it.");
        }
        _key = ECDsa.Create();
        try
        {
            _key.ImportFromPem(pem);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"{privateKeyPath} is not a PEM private key: {e.Message}");
        }
        catch (PlatformNotSupportedException)
        {
            // A well-formed key naming a curve (by OID) this platform does not know: a damaged key file, say.
            throw new InvalidOperationException($"{privateKeyPath} names a curve this platform does not know; Lethe signs with ECDSA P-256 (make a key with `lethe keygen --out DIR`).");
        }
        catch (CryptographicException)
        {
            // An RSA or Ed25519 key is PEM too, but not one ECDsa can import.
            throw new InvalidOperationException($"{privateKeyPath} is not an ECDSA private key; Lethe signs with ECDSA P-256 (make one with `lethe keygen --out DIR`).");
        }
        if (_key.KeySize != 256 || !SigningCurve.IsP256(_key))
        {
            throw new InvalidOperationException($"{privateKeyPath} holds a {_key.KeySize}-bit key on another curve; Lethe signs with ECDSA P-256.");
        }
        KeyId = KeyIds.Of(_key);
        PublicKeyPem = _key.ExportSubjectPublicKeyInfoPem();
    }

    /// <summary>
    /// The file's text, or null past <see cref="SnapshotLimits.MaxKeyBytes"/>: a device such as /dev/zero,
    /// named by mistake, was read until memory ran out and the host stopped with a stack trace.
    /// </summary>
    /// <remarks>Waited for: the key is read once, while the host is being built, where nothing else runs yet.</remarks>
    private static string? ReadBounded(string path) =>
        Lethe.Hosts.CappedFile.Read(path, SnapshotLimits.MaxKeyBytes, CancellationToken.None).GetAwaiter().GetResult() is { } bytes
            ? KeyText.Of(bytes, bytes.Length)
            : null;

    private const UnixFileMode OpenToOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0');

    public string KeyId { get; }

    public string PublicKeyPem { get; }

    public byte[] Sign(byte[] data) =>
        _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public void Dispose() => _key.Dispose();
}
