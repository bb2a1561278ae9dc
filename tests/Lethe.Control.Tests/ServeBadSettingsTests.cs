using System.Diagnostics;
using System.Text;
using Lethe.Infrastructure.Signing;

namespace Lethe.Control.Tests;

/// <summary>
/// Every setting README's table documents, mistyped: `lethe serve` must exit non-zero with one line naming the
/// setting (and the value, escaped and cut short), never a stack trace, a .NET type name, or a server that
/// starts on a default instead. Each case runs the real `lethe serve` in a process of its own, as an operator does.
/// </summary>
/// <remarks>
/// The database is a port nothing listens on: a refusal that reached it would name the database, not the setting,
/// and fail the case, so every refusal here is also proved to come before the database is touched.
/// </remarks>
public sealed class ServeBadSettingsTests(ServeBadSettingsTests.KeyFiles keys) : IClassFixture<ServeBadSettingsTests.KeyFiles>
{
    private const string Unreachable = "Host=127.0.0.1;Port=1;Database=lethe;Timeout=2";
    private static readonly string Long = new('9', 3000);

    /// <summary>Env name, value ({keys} is the folder of key files), and what the one line must hold besides the setting's name.</summary>
    public static TheoryData<string, string, string> Cases => new()
    {
        { "Lethe__ConfirmCheckSeconds", "", "Lethe:ConfirmCheckSeconds" },
        { "Lethe__ConfirmCheckSeconds", " ", "Lethe:ConfirmCheckSeconds" },
        { "Lethe__ConfirmCheckSeconds", "abc", "'abc'" },
        { "Lethe__ConfirmCheckSeconds", "NaN", "NaN" },
        { "Lethe__ConfirmCheckSeconds", "Infinity", "Infinity" },
        { "Lethe__ConfirmCheckSeconds", "-Infinity", "Infinity" },
        { "Lethe__ConfirmCheckSeconds", "1e400", "1e400" },
        { "Lethe__ConfirmCheckSeconds", "-5", "-5" },
        { "Lethe__ConfirmCheckSeconds", "0", "0.1 to 3600" },
        { "Lethe__ConfirmCheckSeconds", "3601", "3601" },
        { "Lethe__ConfirmCheckSeconds", "5s", "'5s'" },
        { "Lethe__ConfirmCheckSeconds", "0,5", "'0,5'" },
        { "Lethe__ConfirmCheckSeconds", "\u001b[31m5", "'\\x1B[31m5'" },
        { "Lethe__ConfirmCheckSeconds", Long + "x", "(3,001 characters)" },
        { "Lethe__CreateSchema", "", "Lethe:CreateSchema" },
        { "Lethe__CreateSchema", "yes", "'yes'" },
        { "Lethe__CreateSchema", "1", "true or false" },
        { "Lethe__Urls", "", "Lethe:Urls" },
        { "Lethe__Urls", " ", "Lethe:Urls" },
        { "Lethe__Urls", "abc", "'abc'" },
        { "Lethe__Urls", "http://127.0.0.1:99999", "'http://127.0.0.1:99999'" },
        { "Lethe__Urls", "ftp://127.0.0.1:21", "'ftp://127.0.0.1:21'" },
        { "Lethe__Urls", "http://\u001b[2J:5080", "\\x1B[2J" },
        // Kestrel listens on every interface for a host name it does not know: a typo must not open the server to the network.
        { "Lethe__Urls", "http://127.0.0.l:5080", "'http://127.0.0.l:5080'" },
        { "Lethe__Urls", "http://lokalhost:5080", "'http://lokalhost:5080'" },
        { "Lethe__Tokens", "abc", "Lethe:Tokens" },
        { "Lethe__Tokens__0", "abc", "Lethe:Tokens:0" },
        { "Lethe__Tokens__0__Token", "", "Token is empty" },
        { "Lethe__Tokens__0__Role", "\u001b[2Jeditor", "'\\x1B[2Jeditor'" },
        { "Lethe__Tokens__0__Role", Long, "(3,000 characters)" },
        { "Lethe__Tokens__0__Actor", "\u001b" + Long, "(3,001 characters)" },
        { "Lethe__Tokens__1__Token", "s3cret", "same secret" },
        // Named by its key as configured, not by its place in the list the binder packs the entries into.
        { "Lethe__Tokens__7__Token", "", "Lethe:Tokens:7: Token is empty" },
        { "Lethe__DnsResolvers", "192.0.2.53", "Lethe:DnsResolvers" },
        { "Lethe__DnsResolvers__0", "", "Lethe:DnsResolvers:0" },
        { "Lethe__DnsResolvers__0", "\u001b[2J192.0.2.53", "'\\x1B[2J192.0.2.53'" },
        { "Lethe__DnsResolvers__0", Long, "(3,000 characters)" },
        { "Lethe__SigningKey", "", "Lethe:SigningKey" },
        { "Lethe__SigningKey", " ", "Lethe:SigningKey" },
        { "Lethe__SigningKey", "{keys}/missing.key", "does not exist" },
        { "Lethe__SigningKey", "{keys}", "is a folder" },
        { "Lethe__SigningKey", "{keys}/empty.key", "holds no private key" },
        { "Lethe__SigningKey", "{keys}/lethe-signing.pub", "holds no private key" },
        { "Lethe__SigningKey", "{keys}/garbage.key", "not a PEM private key" },
        { "Lethe__SigningKey", "{keys}/\u001b[2J.key", "\\x1B[2J.key" },
        // A misspelt name would leave the setting meant at its default.
        { "Lethe__ConfirmCheckSecond", "10", "is not a setting of lethe serve" },
        { "Lethe__Token__0__Token", "s3cret", "is not a setting of lethe serve" },
        { "Lethe__Tokens__0__Rol", "admin", "Lethe:Tokens:0:Rol is not a part of a token" },
        { "ConnectionStrings__Lethe", "", "ConnectionStrings:Lethe" },
        { "ConnectionStrings__Lethe", " ", "ConnectionStrings:Lethe" },
        { "ConnectionStrings__Lethe", "abc", "not a PostgreSQL connection string" },
        { "ConnectionStrings__Lethe", "Host=127.0.0.1;Port=abc", "port" },
        { "ConnectionStrings__Lethe", "Host=127.0.0.1;Pasword=x", "pasword" },
        // .NET's own refusal ("Configuration value 'verbose' is not supported") names neither the setting nor the levels.
        { "Logging__LogLevel__Default", "verbose", "Logging:LogLevel:Default must be Trace, Debug, Information, Warning, Error, Critical or None, not 'verbose'" },
        { "Logging__Console__LogLevel__Marten", "\u001b[2Jloud", "'\\x1B[2Jloud' (env Logging__Console__LogLevel__Marten)" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task a_mistyped_setting_stops_serve_at_start_in_one_line_naming_it(string name, string value, string expected)
    {
        var setting = name.Replace("__", ":", StringComparison.Ordinal);
        var run = await Serve(name, value.Replace("{keys}", keys.Folder, StringComparison.Ordinal));

        Assert.NotEqual(0, run.Code);
        Assert.DoesNotContain("Now listening", run.Output);
        var line = run.Output.Trim();
        Assert.True(line.StartsWith("error: the control plane cannot start: ", StringComparison.Ordinal), line);
        Assert.True(!line.Contains('\n'), $"more than one line:\n{line}");
        // The setting as README's table names it: its first two parts (Lethe:Tokens:0:Role is reported as Lethe:Tokens:0).
        var parts = setting.Split(':');
        Assert.Contains(parts[0] + ":" + parts[1], line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("System.", line);
        Assert.DoesNotContain("   at ", line);
        Assert.DoesNotContain("\u001b", line);
        Assert.True(line.Length < 400, $"{line.Length} characters: {line}");
    }

    [Fact]
    public async Task the_good_settings_of_these_cases_reach_the_database()
    {
        // Proves the cases above fail for their one bad value: without it, serve gets as far as the unreachable database.
        var run = await Serve("Lethe__Urls", "http://127.0.0.1:0");

        Assert.NotEqual(0, run.Code);
        Assert.Contains("127.0.0.1", run.Output);
        Assert.DoesNotContain("Lethe:", run.Output);
    }

    [Theory]
    [InlineData("warning")]
    [InlineData("")]
    public async Task a_log_level_net_takes_is_taken(string level)
    {
        // In any case, as .NET reads it; empty sets no level. Serve gets as far as the unreachable database.
        var run = await Serve("Logging__LogLevel__Default", level);

        Assert.NotEqual(0, run.Code);
        Assert.Contains("127.0.0.1", run.Output);
        Assert.DoesNotContain("Logging:", run.Output);
    }

    private async Task<(int Code, string Output)> Serve(string name, string value)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lethe.dll"));
        start.ArgumentList.Add("serve");
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Lethe__", StringComparison.Ordinal)
            || k.StartsWith("ConnectionStrings__", StringComparison.Ordinal)).ToArray())
        {
            start.Environment.Remove(key);
        }
        start.Environment["ConnectionStrings__Lethe"] = Unreachable;
        start.Environment["Lethe__Urls"] = "http://127.0.0.1:0";
        start.Environment["Lethe__SigningKey"] = Path.Combine(keys.Folder, SigningKeyFiles.PrivateKeyFile);
        start.Environment["Lethe__Tokens__0__Token"] = "s3cret";
        start.Environment["Lethe__Tokens__0__Actor"] = "alice";
        start.Environment["Lethe__Tokens__0__Role"] = "editor";
        if (name == "Lethe__Tokens" || name == "Lethe__Tokens__0")
        {
            // A value in the place of the entries, not beside them.
            foreach (var part in new[] { "Token", "Actor", "Role" })
            {
                start.Environment.Remove("Lethe__Tokens__0__" + part);
            }
        }
        if (name == "Lethe__Tokens__1__Token")
        {
            start.Environment["Lethe__Tokens__1__Actor"] = "bob";
        }
        start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        DataReceivedEventHandler collect = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        };
        process.OutputDataReceived += collect;
        process.ErrorDataReceived += collect;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var killed = false;
        try
        {
            // A server that started (on a default, say) never exits by itself.
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            killed = true;
        }
        // Without a timeout, so the output read so far is all there is.
        process.WaitForExit();
        lock (output)
        {
            return (killed ? 0 : process.ExitCode, output.ToString());
        }
    }

    /// <summary>A real key beside the files a mistyped path might name instead.</summary>
    public sealed class KeyFiles : IDisposable
    {
        public KeyFiles()
        {
            Folder = Directory.CreateTempSubdirectory("lethe-bad-settings-").FullName;
            SigningKeyFiles.Generate(Folder);
            var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            File.WriteAllText(Path.Combine(Folder, "empty.key"), "");
            File.SetUnixFileMode(Path.Combine(Folder, "empty.key"), owner);
            File.WriteAllText(Path.Combine(Folder, "garbage.key"), "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n");
            File.SetUnixFileMode(Path.Combine(Folder, "garbage.key"), owner);
            // Keygen's public key is readable by all; the owner-only mode makes its refusal be about what it holds.
            File.SetUnixFileMode(Path.Combine(Folder, SigningKeyFiles.PublicKeyFile), owner);
        }

        public string Folder { get; }

        public void Dispose() => Directory.Delete(Folder, recursive: true);
    }
}
