using System.Diagnostics;
using System.Net;
using Lethe.TestSupport;
using Lethe.TestSupport.Host;
using Npgsql;

namespace Lethe.Control.Tests;

/// <summary>
/// README's "Backing up and restoring": a `pg_dump` of the control plane's database, restored with
/// `pg_restore` into an empty one, is the whole control plane again, given the same signing key.
/// </summary>
public class BackupRestoreTests
{
    [Fact]
    public async Task a_restored_dump_lists_the_same_versions_and_history_and_publishes_on_from_there()
    {
        var original = await ControlPlaneHost.Start();
        ControlPlaneHost? restored = null;
        var dump = Path.Combine(Path.GetTempPath(), "lethe-test-dump-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var editor = original.Client();
            await editor.CreatePolicyWithWork("kept");
            await editor.AddRule("kept", "work", "action=accept proto=tcp dstports=443");
            await editor.Publish("kept");
            await editor.AddRule("kept", "work", "action=accept proto=tcp dstports=80");
            await editor.Publish("kept");
            await editor.Post("/policies/kept/rollback", new { toVersion = 1, reason = "back" }).Ok();
            var unpublished = await editor.AddRule("kept", "work", "action=drop proto=icmp");
            var policies = (await editor.GetAsync("/policies").Ok()).ToJsonString();
            var snapshots = (await editor.Snapshots("kept")).ToJsonString();
            var history = (await editor.History("kept")).ToJsonString();
            var draft = (await editor.Policy("kept")).ToJsonString();
            var sealedBytes = new List<byte[]>();
            for (var version = 1; version <= 3; version++)
            {
                sealedBytes.Add(await editor.GetByteArrayAsync($"/policies/kept/snapshots/{version}"));
            }
            await original.Stop();

            await PgTool("pg_dump", original.Database.ConnectionString, "--format=custom", "--file", dump);
            var empty = await TestDatabase.Create(migrate: false);
            await PgTool("pg_restore", empty.ConnectionString, "--exit-on-error", "--no-owner", dump);
            restored = await ControlPlaneHost.Start(empty, keyDir: original.KeyDirectory);

            using var again = restored.Client();
            Assert.Equal(policies, (await again.GetAsync("/policies").Ok()).ToJsonString());
            Assert.Equal(snapshots, (await again.Snapshots("kept")).ToJsonString());
            Assert.Equal(history, (await again.History("kept")).ToJsonString());
            Assert.Equal(draft, (await again.Policy("kept")).ToJsonString());
            for (var version = 1; version <= 3; version++)
            {
                Assert.Equal(sealedBytes[version - 1], await again.GetByteArrayAsync($"/policies/kept/snapshots/{version}"));
            }

            var v4 = await again.Publish("kept");
            Assert.Equal(4, v4["version"]!.GetValue<int>());
            Assert.Contains(unpublished, await again.RuleIds("kept", "work"));
            await again.CreatePolicyWithWork("added");
            await again.AddRule("added", "work", "action=accept");
            Assert.Equal(1, (await again.Publish("added"))["version"]!.GetValue<int>());
            Assert.Equal(4, (await again.Snapshots("kept")).Count);
            using var stale = await again.Post("/policies/kept/publish", new { reason = "again" });
            await stale.Problem(HttpStatusCode.Conflict);
        }
        finally
        {
            File.Delete(dump);
            if (restored is not null)
            {
                await restored.DisposeAsync();
            }
            await original.DisposeAsync();
        }
    }

    /// <summary>Runs pg_dump or pg_restore of the newest installed PostgreSQL, as scripts/pg-start picks its server.</summary>
    private static async Task PgTool(string tool, string connectionString, params string[] args)
    {
        var cs = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(Locate(tool))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var arg in new[] { "--host", cs.Host!, "--port", cs.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--username", cs.Username!, "--dbname", cs.Database! })
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["PGPASSWORD"] = cs.Password ?? "";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{tool} failed: {await error}");
    }

    private static string Locate(string tool)
    {
        var newest = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin", tool))
                .Where(File.Exists)
                .OrderBy(p => int.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(p))), out var v) ? v : 0)
                .LastOrDefault()
            : null;
        return newest ?? tool;
    }
}
