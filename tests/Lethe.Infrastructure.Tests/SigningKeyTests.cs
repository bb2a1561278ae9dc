using System.Security.Cryptography;
using Lethe.Infrastructure.Signing;

namespace Lethe.Infrastructure.Tests;

public sealed class SigningKeyTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "lethe-key-test-" + Guid.NewGuid().ToString("N"));

    public SigningKeyTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("1.3.132.0.10")] // secp256k1
    [InlineData("1.3.36.3.3.2.8.1.1.7")] // brainpoolP256r1
    public void a_private_key_on_another_256_bit_curve_is_refused(string curveOid)
    {
        using var key = ECDsa.Create(ECCurve.CreateFromValue(curveOid));
        var path = Path.Combine(_folder, "other.key");
        WriteKey(path, key.ExportPkcs8PrivateKeyPem());

        var refused = Assert.Throws<InvalidOperationException>(() => new FileSnapshotSigner(path));

        Assert.Contains("Lethe signs with ECDSA P-256", refused.Message);
    }

    [Fact]
    public void a_private_key_naming_a_curve_the_platform_does_not_know_is_refused()
    {
        // A damaged curve OID (P-256's 1.2.840.10045.3.1.7 with one bit flipped): .NET throws
        // PlatformNotSupportedException for it, and `lethe serve` stopped with a stack trace.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = key.ExportPkcs8PrivateKey();
        var oid = der.AsSpan().IndexOf(new byte[] { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 });
        der[oid + 5] = 0x1D;
        var path = Path.Combine(_folder, "damaged.key");
        WriteKey(path, new string(PemEncoding.Write("PRIVATE KEY", der)));

        var refused = Assert.Throws<InvalidOperationException>(() => new FileSnapshotSigner(path));

        Assert.Equal($"{path} names a curve this platform does not know; Lethe signs with ECDSA P-256 (make a key with `lethe keygen --out DIR`).", refused.Message);
    }

    [Fact]
    public void an_rsa_private_key_is_refused_naming_the_algorithm_lethe_signs_with()
    {
        using var rsa = RSA.Create(2048);
        var path = Path.Combine(_folder, "rsa.key");
        WriteKey(path, rsa.ExportPkcs8PrivateKeyPem());

        var refused = Assert.Throws<InvalidOperationException>(() => new FileSnapshotSigner(path));

        Assert.Equal($"{path} is not an ECDSA private key; Lethe signs with ECDSA P-256 (make one with `lethe keygen --out DIR`).", refused.Message);
    }

    [Fact]
    public void the_public_key_given_as_the_signing_key_is_refused_at_once()
    {
        SigningKeyFiles.Generate(_folder);

        var refused = Assert.Throws<InvalidOperationException>(() => new FileSnapshotSigner(Path.Combine(_folder, SigningKeyFiles.PublicKeyFile)));

        Assert.Contains("holds no private key", refused.Message);
    }

    /// <summary>As keygen leaves a key: readable by its owner alone.</summary>
    private static void WriteKey(string path, string pem)
    {
        File.WriteAllText(path, pem);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Theory]
    [InlineData(UnixFileMode.OtherRead, "0604")]
    [InlineData(UnixFileMode.GroupRead, "0640")]
    public void a_signing_key_open_to_other_users_is_refused_naming_its_mode(UnixFileMode extra, string mode)
    {
        SigningKeyFiles.Generate(_folder);
        var path = Path.Combine(_folder, SigningKeyFiles.PrivateKeyFile);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);

        var refused = Assert.Throws<InvalidOperationException>(() => new FileSnapshotSigner(path));

        Assert.Contains($"is open to other users (mode {mode})", refused.Message);
        Assert.Contains($"chmod 600 {path}", refused.Message);
    }

    [Fact]
    public void a_key_lethe_keygen_makes_is_taken()
    {
        SigningKeyFiles.Generate(_folder);

        var signer = new FileSnapshotSigner(Path.Combine(_folder, SigningKeyFiles.PrivateKeyFile));

        Assert.Matches("^[0-9a-f]{16}$", signer.KeyId);
    }

    [Theory]
    [InlineData("utf-8")] // Windows PowerShell 5's Set-Content -Encoding UTF8, or an editor that marks UTF-8
    [InlineData("utf-16")] // Windows PowerShell 5's `>`, little-endian with its mark
    public void a_key_saved_with_a_byte_order_mark_is_taken_as_it_was_before_the_read_was_bounded(string encodingName)
    {
        var made = SigningKeyFiles.Generate(_folder);
        var path = made.PrivatePath;
        var encoding = System.Text.Encoding.GetEncoding(encodingName);
        File.WriteAllBytes(path, [.. encoding.GetPreamble(), .. encoding.GetBytes(File.ReadAllText(path))]);

        var signer = new FileSnapshotSigner(path);

        Assert.Equal(made.KeyId, signer.KeyId);
    }

    [Fact]
    public void a_device_given_as_the_signing_key_is_refused_naming_it_not_read_until_memory_runs_out()
    {
        // Lethe__SigningKey=/dev/zero, or a large file named by mistake: no PEM key is more than a few hundred bytes.
        var refused = Assert.Throws<InvalidOperationException>(() => new FileSnapshotSigner("/dev/zero"));

        Assert.Equal("The signing key /dev/zero is larger than 64 KiB, which no PEM private key is; Lethe:SigningKey must name the private key (lethe-signing.key).",
            refused.Message);
    }

    [Fact]
    public void the_folder_keygen_wrote_given_as_the_signing_key_is_named_as_a_folder_not_as_missing()
    {
        // `lethe keygen --out /etc/lethe`, then Lethe__SigningKey=/etc/lethe: the key is there, in that folder.
        SigningKeyFiles.Generate(_folder);

        var refused = Assert.Throws<InvalidOperationException>(() => new FileSnapshotSigner(_folder));

        Assert.Equal($"The signing key {_folder} is a folder; name the private key file in it ({Path.Combine(_folder, SigningKeyFiles.PrivateKeyFile)}).", refused.Message);
    }
}
