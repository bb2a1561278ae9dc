namespace Lethe.Control.Tests;

/// <summary>`lethe migrate schema-script`: the SQL a developer checks in as the next migration file.</summary>
public sealed class SchemaScriptTests
{
    [Fact]
    public async Task the_script_holds_the_event_store_and_the_policy_documents()
    {
        var file = Path.Combine(Path.GetTempPath(), $"lethe-schema-{Guid.NewGuid():N}.sql");
        try
        {
            var run = await OfflineCli.Run("", "migrate", "schema-script", "--out", file);

            Assert.Equal(0, run.ExitCode);
            var sql = await File.ReadAllTextAsync(file);
            Assert.Contains("mt_events", sql);
            Assert.Contains("mt_doc_policy", sql);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task an_out_file_in_a_folder_that_does_not_exist_is_an_error_naming_the_flag()
    {
        var file = Path.Combine(Path.GetTempPath(), $"lethe-missing-{Guid.NewGuid():N}", "schema.sql");

        var run = await OfflineCli.Run("", "migrate", "schema-script", "--out", file);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"error: --out {file}: ", run.Err);
    }

    [Fact]
    public async Task an_out_that_is_a_folder_is_named_as_a_folder_not_as_access_denied()
    {
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"lethe-schema-folder-{Guid.NewGuid():N}")).FullName;
        try
        {
            var run = await OfflineCli.Run("", "migrate", "schema-script", "--out", folder);

            Assert.Equal(1, run.ExitCode);
            Assert.StartsWith($"error: --out: {folder} is a folder; give the path of the file to write", run.Err);
            Assert.Empty(Directory.GetFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task out_dash_writes_the_script_to_stdout_and_makes_no_file_named_dash()
    {
        var run = await OfflineCli.Run("", "migrate", "schema-script", "--out", "-");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("mt_events", run.Out);
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "-")), "a file named - was made");
    }
}
