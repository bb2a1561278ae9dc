using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public sealed class CliSnapshotTests(HostFixture fixture) : IClassFixture<HostFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lethe-cli-snapshot-").FullName;

    private ControlPlaneHost Host => fixture.Host;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> Published(string policy)
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork(policy);
        await editor.AddRule(policy, "work", "action=accept dst4=192.0.2.0/24 proto=tcp dstports=443");
        return (await editor.Publish(policy))["contentSha256"].Str();
    }

    [Fact]
    public async Task a_fetched_snapshot_verifies_with_the_trusted_public_key()
    {
        var sha = await Published("cli-verify");
        var file = Path.Combine(_dir, "v1.json");

        var get = await Host.CliWith(ControlPlaneHost.ViewerToken, "", "snapshot", "get", "cli-verify", "1", "--out", file);
        var verify = await OfflineCli.Run("", "snapshot", "verify", file, "--trust", Host.PublicKeyPath);

        Assert.Equal(0, get.ExitCode);
        Assert.Contains(sha, get.Out);
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);
        Assert.Equal(await viewer.GetByteArrayAsync("/policies/cli-verify/snapshots/1"), await File.ReadAllBytesAsync(file));
        Assert.Equal(0, verify.ExitCode);
        Assert.StartsWith("verified: policy cli-verify version 1", verify.Line);
        Assert.Contains(sha, verify.Out);
    }

    [Fact]
    public async Task latest_can_be_fetched_by_name()
    {
        var sha = await Published("cli-latest");
        var file = Path.Combine(_dir, "latest.json");

        var get = await Host.Cli("snapshot", "get", "cli-latest", "latest", "--out", file);

        Assert.Equal(0, get.ExitCode);
        Assert.Contains("version 1", get.Out);
        Assert.Contains(sha, get.Out);
    }

    [Fact]
    public async Task out_dash_writes_the_signed_file_to_stdout_and_what_it_was_to_stderr()
    {
        var sha = await Published("cli-stdout");
        var file = Path.Combine(_dir, "stdout.json");
        await Host.Cli("snapshot", "get", "cli-stdout", "1", "--out", file);

        var get = await Host.Cli("snapshot", "get", "cli-stdout", "1", "--out", "-");

        Assert.Equal(0, get.ExitCode);
        Assert.Equal(await File.ReadAllTextAsync(file), get.Out);
        Assert.Contains(sha, get.Err);
        Assert.False(File.Exists("-"));
    }

    [Fact]
    public async Task out_naming_a_folder_says_so()
    {
        await Published("cli-folder");

        var get = await Host.Cli("snapshot", "get", "cli-folder", "1", "--out", _dir);

        Assert.Equal(1, get.ExitCode);
        Assert.Contains($"--out: {_dir} is a folder", get.Err);
    }

    [Fact]
    public async Task a_tampered_snapshot_file_fails_verification_with_a_clear_message()
    {
        await Published("cli-tamper");
        var file = Path.Combine(_dir, "tampered.json");
        await Host.Cli("snapshot", "get", "cli-tamper", "1", "--out", file);
        await File.WriteAllBytesAsync(file, SnapshotTests.FlipContentByte(await File.ReadAllBytesAsync(file)));

        var verify = await OfflineCli.Run("", "snapshot", "verify", file, "--trust", Host.PublicKeyPath);

        Assert.Equal(1, verify.ExitCode);
        Assert.Equal("", verify.Out);
        Assert.StartsWith("error:", verify.Err);
        Assert.Contains("does not verify", verify.Err);
        Assert.Contains("hash", verify.Err);
    }

    [Fact]
    public async Task a_snapshot_signed_by_another_key_fails_verification()
    {
        await Published("cli-other-key");
        var file = Path.Combine(_dir, "other.json");
        await Host.Cli("snapshot", "get", "cli-other-key", "1", "--out", file);
        var keys = Path.Combine(_dir, "keys");
        await OfflineCli.Run("", "keygen", "--out", keys);

        var verify = await OfflineCli.Run("", "snapshot", "verify", file, "--trust", Path.Combine(keys, "lethe-signing.pub"));

        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("does not verify", verify.Err);
        Assert.Contains("key", verify.Err);
    }

    [Theory]
    [InlineData("utf-8")] // an editor that marks UTF-8, or Windows PowerShell 5's Set-Content -Encoding UTF8
    [InlineData("utf-16")] // Windows PowerShell 5's `>`, little-endian with its mark
    public async Task a_trusted_key_saved_with_a_byte_order_mark_verifies(string encodingName)
    {
        await Published($"cli-marked-{encodingName}");
        var file = Path.Combine(_dir, $"marked-{encodingName}.json");
        await Host.Cli("snapshot", "get", $"cli-marked-{encodingName}", "1", "--out", file);
        var encoding = System.Text.Encoding.GetEncoding(encodingName);
        var marked = Path.Combine(_dir, $"marked-{encodingName}.pub");
        await File.WriteAllBytesAsync(marked, [.. encoding.GetPreamble(), .. encoding.GetBytes(await File.ReadAllTextAsync(Host.PublicKeyPath))]);

        var verify = await OfflineCli.Run("", "snapshot", "verify", file, "--trust", marked);

        Assert.Equal(0, verify.ExitCode);
        Assert.StartsWith($"verified: policy cli-marked-{encodingName} version 1", verify.Line);
    }

    [Fact]
    public async Task a_missing_snapshot_file_is_a_clear_error()
    {
        var verify = await OfflineCli.Run("", "snapshot", "verify", Path.Combine(_dir, "absent.json"), "--trust", Host.PublicKeyPath);

        Assert.Equal(1, verify.ExitCode);
        Assert.StartsWith("error:", verify.Err);
        Assert.Contains("absent.json", verify.Err);
    }

    [Theory]
    [InlineData("", "pub", "error: FILE is empty: give a snapshot file")]
    [InlineData("file", "", "error: --trust is empty: give the public key's PEM file")]
    [InlineData("/dev/zero", "pub", "error: /dev/zero does not verify: it is larger than 16 MiB, which no firewall reads")]
    [InlineData("file", "/dev/zero", "error: --trust /dev/zero is larger than 64 KiB, which no public key is")]
    public async Task verify_names_an_empty_or_endless_file_instead_of_a_stack_trace(string file, string trust, string expected)
    {
        var snapshot = Path.Combine(_dir, "any.json");
        await File.WriteAllTextAsync(snapshot, "{}");

        var verify = await OfflineCli.Run("", "snapshot", "verify", file == "file" ? snapshot : file,
            "--trust", trust == "pub" ? Host.PublicKeyPath : trust);

        Assert.Equal(1, verify.ExitCode);
        Assert.Equal(expected, verify.Err.Trim());
    }

    [Theory]
    [InlineData("keygen", "--out", "")]
    [InlineData("migrate", "schema-script", "--out")]
    public async Task an_empty_out_is_named_instead_of_a_stack_trace(string command, string second, string third)
    {
        string[] args = command == "keygen" ? [command, second, third] : [command, second, third, ""];

        var run = await OfflineCli.Run("", args);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: --out is empty: give the ", run.Err);
    }

    [Fact]
    public async Task a_folder_that_does_not_exist_for_out_is_named_with_the_flag()
    {
        await Published("cli-out");
        var target = Path.Combine(_dir, "no-such-folder", "v1.json");

        var get = await Host.CliWith(ControlPlaneHost.ViewerToken, "", "snapshot", "get", "cli-out", "1", "--out", target);

        Assert.Equal(1, get.ExitCode);
        Assert.StartsWith($"error: --out: cannot write {target}: ", get.Err);
    }

    [Fact]
    public async Task an_empty_out_path_is_a_clear_error_not_a_stack_trace()
    {
        await Published("cli-empty-out");

        var get = await Host.Cli("snapshot", "get", "cli-empty-out", "1", "--out", "");

        Assert.Equal(1, get.ExitCode);
        Assert.Equal("error: --out is empty: give the path of the file to write, or - for stdout", get.Err.Trim());
    }

    [Fact]
    public async Task verifying_a_folder_says_it_is_a_folder_not_access_denied()
    {
        var folder = Directory.CreateTempSubdirectory("lethe-verify-folder-").FullName;
        try
        {
            var run = await OfflineCli.Run("", "snapshot", "verify", folder, "--trust", Host.PublicKeyPath);

            Assert.Equal(1, run.ExitCode);
            Assert.Contains($"{folder} is a folder; give a file", run.Err);
            Assert.DoesNotContain("denied", run.Err);
        }
        finally
        {
            Directory.Delete(folder);
        }
    }
}
