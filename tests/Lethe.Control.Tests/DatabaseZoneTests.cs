using System.Globalization;
using System.Text.RegularExpressions;
using Lethe.TestSupport;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>
/// Times as the control plane gives them, on a PostgreSQL whose default zone is not UTC: initdb takes
/// the machine's zone, so a packaged server far from Greenwich has one.
/// </summary>
public class DatabaseZoneTests
{
    [Fact]
    public async Task snapshot_list_gives_the_seal_time_in_utc_as_publish_does_whatever_zone_the_database_is_in()
    {
        var database = await TestDatabase.Create();
        await database.Execute($"alter database {database.Name} set timezone to 'Pacific/Kiritimati'");
        await using var host = await ControlPlaneHost.Start(database);
        using var editor = host.Client();
        await editor.CreatePolicyWithWork("zoned");
        var sealedAt = DateTimeOffset.Parse((await editor.Publish("zoned"))["sealedAt"].Str(), CultureInfo.InvariantCulture);

        var listed = await host.Cli("snapshot", "list", "zoned");

        Assert.Equal(0, listed.ExitCode);
        var row = Regex.Split(Assert.Single(listed.Lines().Skip(1)).Trim(), @"\s+");
        Assert.Equal(sealedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture), $"{row[1]} {row[2]}");
    }
}
