using System.CommandLine;
using Lethe.Control.Server;
using Lethe.Infrastructure.Marten;
using Lethe.Infrastructure.Migrations;
using Lethe.Infrastructure.Signing;
using Marten;

namespace Lethe.Control.Cli;

public static class ServerCommands
{
    public static Command Serve(CliContext cli)
    {
        var urls = new Option<string?>("--urls") { Description = "Where to listen (default http://127.0.0.1:5080, or Lethe:Urls)" };
        var serve = new Command("serve", "Run the control plane (configuration: appsettings.json, env vars; see README)") { urls };
        serve.SetAction(async (parse, ct) =>
        {
            var extra = new Dictionary<string, string?>();
            if (parse.GetValue(urls) is { } given)
            {
                extra["Lethe:Urls"] = given;
            }
            WebApplication app;
            try
            {
                app = ControlPlane.Build([], extra);
                await ControlPlane.CheckReady(app, ct);
            }
            catch (Exception e) when (e is InvalidOperationException or FileNotFoundException or Npgsql.NpgsqlException
                or global::Marten.Exceptions.MartenCommandException or ArgumentException or FormatException)
            {
                // Marten's own message wraps the database's in its SQL; the database's says what is wrong.
                var reason = e is global::Marten.Exceptions.MartenCommandException { InnerException: { } inner } ? inner.Message : e.Message;
                await cli.Err.WriteLineAsync($"error: the control plane cannot start: {reason}");
                return 1;
            }
            if (!await TryStart(app, cli.Err, ct))
            {
                await app.DisposeAsync();
                return 1;
            }
            await app.WaitForShutdownAsync(ct);
            await app.DisposeAsync();
            return 0;
        });
        return serve;
    }

    /// <summary>Starts listening, or says on <paramref name="err"/> why the address cannot be had.</summary>
    public static async Task<bool> TryStart(WebApplication app, TextWriter err, CancellationToken ct)
    {
        try
        {
            await app.StartAsync(ct);
            return true;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException or ArgumentException
            or System.Net.Sockets.SocketException)
        {
            // The address: taken (an IOException naming it), not of this host (a SocketException), or not a URL. Named by
            // its setting: the port may be another program's, or the address one this machine had at another time.
            var reason = e is IOException { InnerException: Microsoft.AspNetCore.Connections.AddressInUseException }
                ? e.Message.TrimEnd('.') + " (another program listens there: a lethe serve already running? pick another port)"
                : e.Message;
            await err.WriteLineAsync($"error: the control plane cannot start: Lethe:Urls (env Lethe__Urls, or --urls): {reason}");
            return false;
        }
    }

    public static Command Migrate(CliContext cli)
    {
        var connection = new Option<string?>("--connection") { Description = "PostgreSQL connection string (default: ConnectionStrings__Lethe)" };
        var folder = new Option<string?>("--migrations") { Description = "The folder of NNNN_name.sql files (default: migrations beside the binary, else ./migrations)" };
        var migrate = new Command("migrate", "Apply the checked-in SQL migrations that have not run yet") { connection, folder };
        migrate.SetAction((parse, ct) => cli.Run(async () =>
        {
            var cs = ConnectionString(parse.GetValue(connection));
            try
            {
                var applied = await MigrationRunner.Apply(cs, parse.GetValue(folder) ?? DefaultMigrations(), ct);
                if (cli.WantsJson(parse)) cli.PrintJson(new { applied });
                else cli.Out.WriteLine(applied.Count == 0 ? "schema is up to date" : $"applied {string.Join(", ", applied)}");
            }
            catch (ArgumentException e)
            {
                throw new CliException($"--connection: not a PostgreSQL connection string: {e.Message}");
            }
            catch (MigrationException e)
            {
                throw new CliException($"{(e.ApplyFailed ? "migration failed" : "migration refused")}: {e.Message}");
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or DirectoryNotFoundException)
            {
                throw new CliException($"migration failed (each file is applied whole or not at all): {e.Message}");
            }
            return 0;
        }));

        // For developers: writes the SQL that the code's Marten configuration needs, to check in as a migration.
        var output = new Option<string>("--out") { Required = true, Description = "File to write the SQL to (- for stdout, as snapshot get's --out)" };
        var script = new Command("schema-script", "Write the full schema SQL the current code needs (for new migration files)") { output };
        script.SetAction((parse, ct) => cli.Run(async () =>
        {
            using var store = DocumentStore.For(o => LetheStoreOptions.Configure(o, "Host=127.0.0.1", createSchema: false));
            var path = parse.GetValue(output)!;
            if (path.Length == 0)
            {
                throw new CliException("--out is empty: give the file to write the schema to");
            }
            if (path == "-")
            {
                await cli.Out.WriteAsync(store.Storage.ToDatabaseScript());
                return 0;
            }
            // As snapshot get names it: writing to a folder fails with "Access to the path is denied", which reads as a permission problem.
            if (Directory.Exists(path))
            {
                throw new CliException($"--out: {path} is a folder; give the path of the file to write");
            }
            try
            {
                await File.WriteAllTextAsync(path, store.Storage.ToDatabaseScript(), ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"--out {path}: {e.Message}");
            }
            return 0;
        }));
        migrate.Subcommands.Add(script);
        return migrate;
    }

    public static Command Keygen(CliContext cli)
    {
        var output = new Option<string>("--out") { Description = "Folder for lethe-signing.key (owner-only) and lethe-signing.pub", Required = true };
        var keygen = new Command("keygen", "Make an ECDSA P-256 signing key pair for sealing snapshots") { output };
        keygen.SetAction((parse, ct) => cli.Run(() =>
        {
            if (parse.GetValue(output) is { Length: 0 })
            {
                throw new CliException("--out is empty: give the folder for the key pair");
            }
            var folder = parse.GetValue(output)!;
            // Checked here, in the option's terms: .NET's own words for these ("The file ... already exists",
            // "Could not find file ...") read as if a key were in the way or the path were simply missing.
            if (File.Exists(folder))
            {
                throw new CliException($"--out: {folder} is a file, not a folder: give the folder for " +
                    $"{SigningKeyFiles.PrivateKeyFile} and {SigningKeyFiles.PublicKeyFile}");
            }
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"--out: cannot make the folder {folder}: {e.Message}");
            }
            try
            {
                var (keyId, privatePath, publicPath) = SigningKeyFiles.Generate(folder);
                if (cli.WantsJson(parse)) cli.PrintJson(new { keyId, privateKey = privatePath, publicKey = publicPath });
                else cli.Out.WriteLine($"key {keyId}\nprivate key {privatePath} (mode 0600; configure as Lethe:SigningKey)\npublic key  {publicPath} (give it to firewalls and to `snapshot verify --trust`)");
                return Task.FromResult(0);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException(e.Message);
            }
        }));
        return keygen;
    }

    private static string ConnectionString(string? given)
    {
        var cs = given ?? Environment.GetEnvironmentVariable("ConnectionStrings__Lethe");
        return string.IsNullOrWhiteSpace(cs) ? throw new CliException("no database: give --connection or set ConnectionStrings__Lethe") : cs;
    }

    public static string DefaultMigrations()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "migrations");
        return Directory.Exists(beside) ? beside : Path.Combine(Directory.GetCurrentDirectory(), "migrations");
    }
}
