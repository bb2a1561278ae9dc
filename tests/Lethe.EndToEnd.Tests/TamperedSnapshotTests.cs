using System.Security.Cryptography;
using System.Text;
using Lethe.Domain.Snapshots;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// The firewall's own process given a damaged snapshot or trusted key: it exits 1 with one line naming
/// what is wrong, no stack trace, before reading the capture (which here does not exist) or booting.
/// </summary>
public sealed class TamperedSnapshotTests : IDisposable
{
    private readonly HandSealed _sealed = new("lethe-tampered-");
    private readonly string _good;

    public TamperedSnapshotTests() =>
        _good = _sealed.Write("good.json", 3, new SnapshotClient("work", ["10.137.0.5"], [new SnapshotRule("r-1", "action=accept")]));

    public void Dispose() => _sealed.Dispose();

    public static TheoryData<string, string> Damage => new()
    {
        { "truncated", "not a Lethe snapshot file" },
        { "bom", "not a Lethe snapshot file" },
        { "trailing", "not a Lethe snapshot file" },
        { "version", "the signature does not verify" },
        { "huge-version", "not a Lethe snapshot file" },
        { "deep", "not a Lethe snapshot file" },
        { "not-utf8", "not a Lethe snapshot file" },
        // A property's name the reader quotes in its message: a line break there would forge a second line.
        { "escaped-name", "not a Lethe snapshot file" },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public async Task replay_refuses_a_damaged_snapshot_on_one_line(string damage, string named)
    {
        var path = Path.Combine(_sealed.Folder, damage + ".json");
        await File.WriteAllBytesAsync(path, Damaged(await File.ReadAllBytesAsync(_good), damage));

        var (code, output, err) = await FirewallProcess.Run(false, "replay", "--snapshot", path, "--trust", _sealed.PublicKey,
            "--pcap", Path.Combine(_sealed.Folder, "none.pcap"));

        Assert.Equal(1, code);
        Assert.StartsWith($"error: refusing the snapshot: {named}", err);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.Equal("", output);
    }

    [Fact]
    public async Task verify_refuses_a_signed_snapshot_holding_a_rule_id_twice_on_one_line()
    {
        // Signed with the trusted key, but no publish seals it: rule ids are unique in a policy.
        var path = _sealed.Write("twice.json", 3,
            new SnapshotClient("work", ["10.137.0.5"], [new SnapshotRule("r-1", "action=accept")]),
            new SnapshotClient("lab", ["10.137.0.6"], [new SnapshotRule("r-1", "action=drop")]));

        var (code, output, err) = await FirewallProcess.Run(false, "verify", "--snapshot", path, "--trust", _sealed.PublicKey);

        Assert.Equal(1, code);
        Assert.Equal("error: refusing the snapshot: the signed policy is not one a control plane seals: rule id 'r-1' is in client 'work' and in client 'lab'",
            Assert.Single(err.TrimEnd('\n').Split('\n')));
        Assert.Equal("", output);
    }

    [Fact]
    public async Task boot_refuses_a_trusted_key_naming_an_unknown_curve_on_one_line()
    {
        // One flipped bit in the key file's curve OID: the platform refuses the curve with its own exception.
        var key = Path.Combine(_sealed.Folder, "flipped.pub");
        await File.WriteAllTextAsync(key, UnknownCurve(await File.ReadAllTextAsync(_sealed.PublicKey)));

        var (code, output, err) = await FirewallProcess.Run(false, "boot", "--snapshot", _good, "--trust", key);

        Assert.Equal(1, code);
        Assert.Contains("the trusted key names a curve this platform does not know", err);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("booted", output);
    }

    private static byte[] Damaged(byte[] file, string damage)
    {
        var text = Encoding.UTF8.GetString(file);
        return damage switch
        {
            "truncated" => file[..(file.Length / 2)],
            "bom" => [0xEF, 0xBB, 0xBF, .. file],
            "trailing" => [.. file, .. "{}"u8],
            "version" => Encoding.UTF8.GetBytes(text.Replace("\"version\":3", "\"version\":4")),
            "huge-version" => Encoding.UTF8.GetBytes(text.Replace("\"version\":3", "\"version\":99999999999999999999")),
            "deep" => Encoding.UTF8.GetBytes(text.Replace("\"version\":3", "\"version\":" + new string('[', 10_000))),
            "escaped-name" => Encoding.UTF8.GetBytes("{\"x\\nerror: forged\\u001b[2J\":[1,"),
            _ => [.. file[..10], 0xFF, .. file[10..]],
        };
    }

    private static string UnknownCurve(string pem)
    {
        var der = Convert.FromBase64String(string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))));
        var oid = der.AsSpan().IndexOf(new byte[] { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 });
        der[oid + 5] = 0x1D;
        return new string(PemEncoding.Write("PUBLIC KEY", der)) + "\n";
    }
}
