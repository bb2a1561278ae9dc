using System.CommandLine;

namespace Lethe.Control.Cli;

/// <summary>The `lethe` command tree. Output streams and the HTTP client are injected so tests can run it in-process.</summary>
public static class LetheCli
{
    public static RootCommand Build(CliContext cli)
    {
        var root = new RootCommand("lethe: the control plane of Lethe, a firewall that forgets. Every rule change is an audited event; each publish seals a signed snapshot.");
        root.Subcommands.Add(PolicyCommands.Policy(cli));
        root.Subcommands.Add(ClientCommands.Client(cli));
        root.Subcommands.Add(RuleCommands.Rule(cli));
        root.Subcommands.Add(TestCommands.Test(cli));
        root.Subcommands.Add(PublishingCommands.Publish(cli));
        root.Subcommands.Add(PublishingCommands.Confirm(cli));
        root.Subcommands.Add(PublishingCommands.Rollback(cli));
        root.Subcommands.Add(PublishingCommands.History(cli));
        root.Subcommands.Add(PublishingCommands.Diff(cli));
        root.Subcommands.Add(PolicyCommands.Show(cli, "show"));
        root.Subcommands.Add(SnapshotCommands.Snapshot(cli));
        root.Subcommands.Add(ServerCommands.Keygen(cli));
        root.Subcommands.Add(ServerCommands.Serve(cli));
        root.Subcommands.Add(ServerCommands.Migrate(cli));
        foreach (var command in root.Subcommands)
        {
            AddSharedOptions(cli, command, command.Name);
        }
        return root;
    }

    /// <summary>Commands that never talk to the control plane's HTTP API, and the options they take of the shared ones.</summary>
    private static readonly Dictionary<string, bool> Offline = new(StringComparer.Ordinal)
    {
        ["serve"] = false, ["migrate schema-script"] = false,
        ["keygen"] = true, ["migrate"] = true, ["rule parse"] = true, ["snapshot verify"] = true,
    };

    /// <summary>
    /// Each command gets only the shared options it uses, so its --help lists no option it ignores:
    /// --server and --token where it calls the API, --if-match where that call changes an existing
    /// policy (it takes --reason; policy create does not), --json where it prints a result.
    /// </summary>
    private static void AddSharedOptions(CliContext cli, Command command, string path)
    {
        foreach (var sub in command.Subcommands)
        {
            AddSharedOptions(cli, sub, $"{path} {sub.Name}");
        }
        if (command.Action is null)
        {
            return;
        }
        if (Offline.TryGetValue(path, out var printsJson))
        {
            if (printsJson)
            {
                command.Options.Add(cli.Json);
            }
            return;
        }
        command.Options.Add(cli.Server);
        command.Options.Add(cli.Token);
        command.Options.Add(cli.Json);
        // A policy being created has no version to match.
        if (command.Options.Any(o => o.Name == "--reason") && path != "policy create")
        {
            command.Options.Add(cli.IfMatch);
        }
    }

    public static async Task<int> Run(string[] args, TextWriter output, TextWriter error, TextReader input, Func<HttpClient> http, CancellationToken ct = default)
    {
        var cli = new CliContext(output, error, input, http, args);
        // No response files: a reason such as "@alice asked" is text, not the name of a file whose words
        // would be spliced into the command line (System.CommandLine reads "@..." as one by default).
        var parse = Build(cli).Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var problems = Lethe.Hosts.ParseProblems.Of(parse, args, "lethe");
        if (problems.Count > 0)
        {
            // As every refusal: `error: ...` on stderr and exit 1, not the help text on stdout.
            foreach (var problem in problems)
            {
                // The parser quotes what was typed: escaped, and a pasted blob by its start and length.
                await error.WriteLineAsync($"error: {Lethe.Hosts.ArgvText.Shown(Lethe.Hosts.ParseErrorText.Readable(problem), args)}");
            }
            var path = string.Join(' ', CommandPath(parse.CommandResult));
            await error.WriteLineAsync(path.Length == 0 ? "(see: lethe --help)" : $"(see: lethe {path} --help)");
            return 1;
        }
        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, ct);
    }

    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (var current = result; current is not null && current.Parent is not null; current = current.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, current.Command.Name);
        }
        return names;
    }
}
