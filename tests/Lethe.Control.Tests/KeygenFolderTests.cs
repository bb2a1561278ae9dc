namespace Lethe.Control.Tests;

/// <summary>
/// `keygen --out` names a folder. Given a file, or a path under one, .NET's own words ("The file ... already
/// exists", "Could not find file ...") read as if a key were in the way or the path were missing; the
/// refusal names the option and what is wrong with the folder instead, and writes nothing.
/// </summary>
public sealed class KeygenFolderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lethe-keygen-folder-" + Guid.NewGuid().ToString("N"));

    public KeygenFolderTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task an_out_that_is_a_file_is_refused_as_not_a_folder()
    {
        var file = Path.Combine(_dir, "keys");
        await File.WriteAllTextAsync(file, "notes");

        var run = await OfflineCli.Run("", "keygen", "--out", file);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"error: --out: {file} is a file, not a folder: give the folder for lethe-signing.key and lethe-signing.pub", run.Err);
        Assert.Equal("notes", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task an_out_that_cannot_be_made_says_so()
    {
        var file = Path.Combine(_dir, "keys");
        await File.WriteAllTextAsync(file, "notes");
        var under = Path.Combine(file, "signing");

        var run = await OfflineCli.Run("", "keygen", "--out", under);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"error: --out: cannot make the folder {under}: ", run.Err);
        Assert.Equal(new[] { file }, Directory.GetFileSystemEntries(_dir));
    }
}
