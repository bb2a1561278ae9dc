using System.Text;

namespace Lethe.EndToEnd.Tests;

public sealed class BootRefusalTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Fact]
    public async Task boot_refuses_a_snapshot_whose_content_was_altered()
    {
        var tampered = Path.Combine(policy.Folder, "tampered.json");
        var text = await File.ReadAllTextAsync(policy.V1);
        var content = text.IndexOf("\"content\":\"", StringComparison.Ordinal) + 20;
        var flipped = text[content] == 'A' ? 'B' : 'A';
        await File.WriteAllTextAsync(tampered, text[..content] + flipped + text[(content + 1)..]);

        var (code, _, err) = await FirewallProcess.Run(false, "boot", "--snapshot", tampered, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains("refusing to boot", err);
    }

    [Fact]
    public async Task boot_refuses_a_snapshot_signed_with_another_key()
    {
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var otherKey = Path.Combine(policy.Folder, "other.pub");
        await File.WriteAllTextAsync(otherKey, other.ExportSubjectPublicKeyInfoPem());

        var (code, _, err) = await FirewallProcess.Run(false, "boot", "--snapshot", policy.V1, "--trust", otherKey);

        Assert.Equal(1, code);
        Assert.Contains("trusted key is", err);
    }

    [Fact]
    public async Task boot_refuses_an_unknown_snapshot_format()
    {
        var future = Path.Combine(policy.Folder, "future.json");
        await File.WriteAllTextAsync(future, (await File.ReadAllTextAsync(policy.V1)).Replace("lethe.snapshot/2", "lethe.snapshot/9"));

        var (code, _, err) = await FirewallProcess.Run(false, "boot", "--snapshot", future, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains("unknown snapshot format 'lethe.snapshot/9'", err);
    }

    [Fact]
    public async Task boot_refuses_a_snapshot_it_cannot_read()
    {
        var (code, _, err) = await FirewallProcess.Run(false, "boot", "--snapshot", Path.Combine(policy.Folder, "missing.json"), "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains("cannot read", err);
        Assert.DoesNotContain("booted", Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(err)));
    }
}
