namespace Lethe.EndToEnd.Tests;

/// <summary>
/// `replay --out` and `--verdicts` name files. A folder given there was refused with .NET's "Access to the path
/// is denied", which reads as a permission problem; it is named as a folder, as `lethe snapshot get --out` names it.
/// </summary>
public sealed class ReplayFolderOutputTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Theory]
    [InlineData("--out")]
    [InlineData("--verdicts")]
    public async Task a_folder_given_for_an_output_file_is_named_as_a_folder(string flag)
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, $"folder{flag}.pcap"), Captures.WorkDay());
        var folder = Directory.CreateDirectory(Path.Combine(policy.Folder, $"outputs{flag}")).FullName;
        string[] other = flag == "--out" ? ["--verdicts", capture + ".jsonl"] : ["--out", capture + ".out.pcap"];

        var (code, output, error) = await FirewallProcess.Run(false,
            ["replay", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", capture, flag, folder, .. other]);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains($"error: {flag}: {folder} is a folder; give the path of the file to write", error);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }
}
