using Lethe.TestSupport.Host;

namespace Lethe.EndToEnd.Tests;

public sealed class VerifyCommandTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Fact]
    public async Task a_sealed_file_verifies_and_its_content_is_summed_up()
    {
        var sha = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(policy.V1))!["contentSha256"]!.GetValue<string>();

        var (code, output, error) = await FirewallProcess.Run(false, "verify", "--snapshot", policy.V1, "--trust", policy.PublicKey);

        Assert.Equal((0, ""), (code, error));
        Assert.StartsWith($"verified: policy home version 1, 2 clients, 3 rules, sha256 {sha}, key ", output.Trim());
    }

    [Fact]
    public async Task the_latest_snapshot_verifies_straight_from_the_control_plane()
    {
        var (code, output, error) = await FirewallProcess.Run(false, "verify", "--snapshot", $"{policy.Host.Url}/policies/home/snapshots/latest",
            "--trust", policy.PublicKey, "--token", ControlPlaneHost.ViewerToken);

        Assert.Equal((0, ""), (code, error));
        Assert.StartsWith("verified: policy home version 2, 2 clients, 3 rules, ", output.Trim());
    }

    [Theory]
    [InlineData("--snapshot", "--snapshot is empty")]
    [InlineData("--trust", "--trust is empty")]
    public async Task an_empty_path_is_named_not_a_stack_trace(string flag, string expected)
    {
        var (code, output, error) = await FirewallProcess.Run(false, "verify",
            "--snapshot", flag == "--snapshot" ? "" : policy.V1, "--trust", flag == "--trust" ? "" : policy.PublicKey);

        Assert.Equal(1, code);
        Assert.StartsWith($"error: refusing the snapshot: {expected}", error.Trim());
        Assert.DoesNotContain("   at ", error);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task a_trusted_key_that_is_a_device_is_refused_not_read_forever()
    {
        var (code, _, error) = await FirewallProcess.Run(false, "verify", "--snapshot", policy.V1, "--trust", "/dev/zero");

        Assert.Equal(1, code);
        Assert.Contains("the trusted key /dev/zero is larger than 64 KiB", error);
    }

    [Theory]
    [InlineData("utf-8")] // an editor that marks UTF-8, or Windows PowerShell 5's Set-Content -Encoding UTF8
    [InlineData("utf-16")] // Windows PowerShell 5's `>`, little-endian with its mark
    public async Task a_trusted_key_saved_with_a_byte_order_mark_verifies_as_it_did_when_read_whole(string encodingName)
    {
        var encoding = System.Text.Encoding.GetEncoding(encodingName);
        var marked = Path.Combine(policy.Folder, $"marked-{encodingName}.pub");
        await File.WriteAllBytesAsync(marked, [.. encoding.GetPreamble(), .. encoding.GetBytes(await File.ReadAllTextAsync(policy.PublicKey))]);

        var (code, output, error) = await FirewallProcess.Run(false, "verify", "--snapshot", policy.V1, "--trust", marked);

        Assert.Equal((0, ""), (code, error));
        Assert.StartsWith("verified: policy home version 1", output.Trim());
    }

    [Fact]
    public async Task an_altered_file_is_refused_with_the_reason()
    {
        var altered = Path.Combine(policy.Folder, "altered.json");
        var text = await File.ReadAllTextAsync(policy.V1);
        var content = text.IndexOf("\"content\":\"", StringComparison.Ordinal) + 20;
        await File.WriteAllTextAsync(altered, text[..content] + (text[content] == 'A' ? 'B' : 'A') + text[(content + 1)..]);

        var (code, output, error) = await FirewallProcess.Run(false, "verify", "--snapshot", altered, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.StartsWith("error: refusing the snapshot: content hash mismatch", error.Trim());
        Assert.Equal("", output);
    }

    [Fact]
    public async Task a_url_without_a_token_says_which_flag_gives_one()
    {
        var (code, _, error) = await FirewallProcess.Run(false, "verify", "--snapshot", $"{policy.Host.Url}/policies/home/snapshots/latest",
            "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains("answered 401 Unauthorized (give a viewer token: --token or LETHE_TOKEN)", error);
    }

    [Fact]
    public async Task a_policy_url_instead_of_a_snapshot_url_is_named()
    {
        var (code, _, error) = await FirewallProcess.Run(false, "verify", "--snapshot", $"{policy.Host.Url}/policies/home",
            "--trust", policy.PublicKey, "--token", ControlPlaneHost.ViewerToken);

        Assert.Equal(1, code);
        Assert.Contains("not a Lethe snapshot (no format field)", error);
    }

    [Fact]
    public async Task a_json_file_that_is_no_snapshot_is_named_with_where_a_snapshot_file_comes_from()
    {
        // The hint spoke only of URLs, which misled whoever gave a file (verify, or a SIGHUP reload of --snapshot FILE).
        var file = Path.Combine(policy.Folder, $"not-a-snapshot-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, "{}");

        var (code, _, error) = await FirewallProcess.Run(false, "verify", "--snapshot", file, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains("not a Lethe snapshot (no format field): give a file `lethe snapshot get` wrote", error);
    }
}
