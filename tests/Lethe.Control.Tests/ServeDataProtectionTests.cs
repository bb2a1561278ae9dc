using System.Diagnostics;
using System.Text;
using Lethe.Infrastructure.Signing;
using Lethe.TestSupport;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>
/// The control plane protects nothing with ASP.NET's data protection (its bearer tokens are compared,
/// never encrypted), yet registering authentication brings it in, and `lethe serve` made a key ring at
/// start: a file under $HOME/.aspnet/DataProtection-Keys, logged as "No XML encryptor configured. Key
/// ... may be persisted to storage in unencrypted form", a warning that sent an operator looking for a
/// secret Lethe does not have (and, in compose's container, one more about keys lost with the container).
/// </summary>
public sealed class ServeDataProtectionTests
{
    [Fact]
    public async Task serve_writes_no_key_ring_under_home_and_warns_of_none()
    {
        await using var database = await TestDatabase.Create(migrate: true);
        var home = Directory.CreateTempSubdirectory("lethe-serve-home-").FullName;
        var keys = Directory.CreateTempSubdirectory("lethe-serve-keys-").FullName;
        try
        {
            SigningKeyFiles.Generate(keys);
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "lethe.dll"), "serve" })
            {
                start.ArgumentList.Add(arg);
            }
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("Lethe__", StringComparison.Ordinal)).ToArray())
            {
                start.Environment.Remove(name);
            }
            foreach (var (key, value) in ControlPlaneHost.Settings(database.ConnectionString, keys, 1))
            {
                start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
            start.Environment["HOME"] = home;
            // Information, so the key ring's choice of folder shows in a failure's message as well as its warnings.
            start.Environment["Logging__LogLevel__Microsoft.AspNetCore"] = "Information";
            using var process = Process.Start(start)!;
            var output = new StringBuilder();
            var listening = new TaskCompletionSource();
            DataReceivedEventHandler collect = (_, e) =>
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
                if (e.Data?.Contains("Now listening on", StringComparison.Ordinal) == true)
                {
                    listening.TrySetResult();
                }
            };
            process.OutputDataReceived += collect;
            process.ErrorDataReceived += collect;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
                // The key ring is made by a hosted service as the host starts; give a late one time to show.
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            string log;
            lock (output)
            {
                log = output.ToString();
            }
            Assert.False(Directory.Exists(Path.Combine(home, ".aspnet")), $"lethe serve wrote {home}/.aspnet:\n{log}");
            // The key it keeps in memory is still made (an information line); no warning or error is written of it.
            Assert.False(log.Contains("warn: Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal)
                || log.Contains("fail: Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal), log);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
            Directory.Delete(keys, recursive: true);
        }
    }
}
