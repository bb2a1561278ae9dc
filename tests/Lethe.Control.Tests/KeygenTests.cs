using System.Security.Cryptography;

namespace Lethe.Control.Tests;

public sealed class KeygenTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lethe-keygen-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private string PrivateKey => Path.Combine(_dir, "lethe-signing.key");

    private string PublicKey => Path.Combine(_dir, "lethe-signing.pub");

    [Fact]
    public async Task keygen_writes_an_owner_only_private_key_and_a_pem_public_key()
    {
        var run = await OfflineCli.Run("", "keygen", "--out", _dir);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PrivateKey));
        var pem = await File.ReadAllTextAsync(PublicKey);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", pem);
        Assert.DoesNotContain("PRIVATE", pem);
        using var key = ECDsa.Create();
        key.ImportFromPem(pem);
        Assert.Equal(256, key.KeySize);
        Assert.Contains(PrivateKey, run.Out);
        Assert.Contains(PublicKey, run.Out);
    }

    [Fact]
    public async Task the_key_pair_belongs_together()
    {
        await OfflineCli.Run("", "keygen", "--out", _dir);
        using var signer = ECDsa.Create();
        signer.ImportFromPem(await File.ReadAllTextAsync(PrivateKey));
        using var verifier = ECDsa.Create();
        verifier.ImportFromPem(await File.ReadAllTextAsync(PublicKey));
        var data = "lethe"u8.ToArray();

        Assert.True(verifier.VerifyData(data, signer.SignData(data, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256));
    }

    [Fact]
    public async Task keygen_never_overwrites_an_existing_key()
    {
        await OfflineCli.Run("", "keygen", "--out", _dir);
        var original = await File.ReadAllTextAsync(PrivateKey);

        var again = await OfflineCli.Run("", "keygen", "--out", _dir);

        Assert.Equal(1, again.ExitCode);
        Assert.StartsWith("error:", again.Err);
        Assert.Contains("already exists", again.Err);
        Assert.Equal(original, await File.ReadAllTextAsync(PrivateKey));
    }

    [Fact]
    public async Task keygen_json_names_the_key_id_and_both_files()
    {
        var run = await OfflineCli.Run("", "keygen", "--out", _dir, "--json");

        Assert.Equal(0, run.ExitCode);
        var json = System.Text.Json.Nodes.JsonNode.Parse(run.Out)!;
        Assert.NotEmpty(json["keyId"].Str());
        Assert.Equal(PrivateKey, json["privateKey"].Str());
        Assert.Equal(PublicKey, json["publicKey"].Str());
        Assert.DoesNotContain("BEGIN", run.Out);
    }

    [Fact]
    public async Task keygen_never_overwrites_a_public_key_firewalls_may_trust()
    {
        Directory.CreateDirectory(_dir);
        using (var trusted = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            await File.WriteAllTextAsync(PublicKey, trusted.ExportSubjectPublicKeyInfoPem());
        }
        var original = await File.ReadAllTextAsync(PublicKey);

        var again = await OfflineCli.Run("", "keygen", "--out", _dir);

        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"{PublicKey} already exists; refusing to overwrite a public key firewalls may trust", again.Err);
        Assert.Equal(original, await File.ReadAllTextAsync(PublicKey));
        Assert.False(File.Exists(PrivateKey));
    }
}
