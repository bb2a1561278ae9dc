namespace Lethe.Control.Tests;

/// <summary>
/// `lethe snapshot verify FILE --trust KEY` reads two files; one it cannot read is named as the one it is, so a blank or
/// mistyped --trust does not read as a problem with the snapshot.
/// </summary>
public class CliVerifyPathTests
{
    [Theory]
    [InlineData(" ")]
    [InlineData("/nonexistent-lethe-key.pub")]
    public async Task a_trusted_key_that_cannot_be_read_is_named_as_the_trust_option(string trust)
    {
        var snapshot = Path.GetTempFileName();
        try
        {
            var run = await OfflineCli.Run("", "snapshot", "verify", snapshot, "--trust", trust);

            Assert.Equal(1, run.ExitCode);
            Assert.StartsWith($"error: --trust: cannot read '{trust}': ", run.Err);
        }
        finally
        {
            File.Delete(snapshot);
        }
    }

    [Fact]
    public async Task a_snapshot_that_cannot_be_read_is_named_as_the_file()
    {
        var run = await OfflineCli.Run("", "snapshot", "verify", "/nonexistent-lethe-snapshot.json", "--trust", "/nonexistent-lethe-key.pub");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: cannot read '/nonexistent-lethe-snapshot.json': ", run.Err);
    }
}
