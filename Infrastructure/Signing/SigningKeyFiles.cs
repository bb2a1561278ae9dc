using System.Security.Cryptography;
using Lethe.Domain.Snapshots;

namespace Lethe.Infrastructure.Signing;

/// <summary>The signing key pair on disk: the private key readable by its owner only, the public key as PEM.</summary>
public static class SigningKeyFiles
{
    public const string PrivateKeyFile = "lethe-signing.key";
    public const string PublicKeyFile = "lethe-signing.pub";

    /// <returns>The key id and the two paths.</returns>
    public static (string KeyId, string PrivatePath, string PublicPath) Generate(string directory)
    {
        Directory.CreateDirectory(directory);
        var privatePath = Path.Combine(directory, PrivateKeyFile);
        var publicPath = Path.Combine(directory, PublicKeyFile);
        // The public key too: firewalls trust it, and a new one would make them refuse every snapshot.
        foreach (var path in new[] { privatePath, publicPath })
        {
            if (File.Exists(path) || Directory.Exists(path))
            {
                throw new IOException(path == privatePath
                    ? $"{path} already exists; refusing to overwrite a signing key (give --out another folder)."
                    : $"{path} already exists; refusing to overwrite a public key firewalls may trust (give --out another folder).");
            }
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var writer = new StreamWriter(privatePath, options))
        {
            writer.Write(key.ExportPkcs8PrivateKeyPem());
        }
        using (var writer = new StreamWriter(publicPath, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write }))
        {
            writer.Write(key.ExportSubjectPublicKeyInfoPem());
        }
        return (KeyIds.Of(key), privatePath, publicPath);
    }
}
