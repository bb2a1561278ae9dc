using Lethe.Domain.Snapshots;
using Lethe.Infrastructure.Signing;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// A folder with a signing key of its own, for snapshots a test seals by hand: contents the control
/// plane would not publish (a client holding the uplink address, a policy at the very limits).
/// </summary>
internal sealed class HandSealed : IDisposable
{
    private readonly string _keyId;
    private readonly FileSnapshotSigner _signer;

    public HandSealed(string prefix)
    {
        Folder = Directory.CreateTempSubdirectory(prefix).FullName;
        (_keyId, var privatePath, PublicKey) = SigningKeyFiles.Generate(Folder);
        _signer = new FileSnapshotSigner(privatePath);
    }

    public string Folder { get; }

    /// <summary>The public key's file, for --trust.</summary>
    public string PublicKey { get; }

    /// <summary>Seals version <paramref name="version"/> of policy home into <paramref name="file"/> in the folder; returns its path.</summary>
    public string Write(string file, int version, params SnapshotClient[] clients)
    {
        var content = SnapshotCodec.ToBytes(new SnapshotContent(SnapshotContent.CurrentFormat, "home", clients));
        var path = Path.Combine(Folder, file);
        File.WriteAllBytes(path, SnapshotCodec.ToFile(SnapshotSealer.Seal(content, "home", version, version, DateTimeOffset.UtcNow, _keyId, _signer.Sign)));
        return path;
    }

    public void Dispose()
    {
        _signer.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
