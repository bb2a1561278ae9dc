using System.CommandLine;

namespace Lethe.Firewall;

/// <summary>The `lethe-firewall` command tree.</summary>
public static class FirewallCli
{
    public static async Task<int> Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("lethe-firewall: the packet path of Lethe. Boots from a sealed, signed snapshot, keeps its state in memory only, and never writes to disk (replay writes only the files its --out and --verdicts name).");
        root.Subcommands.Add(VerifyCommand.Build(output, error));
        root.Subcommands.Add(ReplayCommand.Build(output, error));
        root.Subcommands.Add(BootCommand.Build(output, error));
        root.Subcommands.Add(NftCommand.Build(output, error));
        // No response files: "@..." is a value as given (a path, say), never a file of more arguments.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        // Help as the parser matched it, whatever else is wrong; --version only alone: a misspelt `verfy --version` must
        // not exit 0, nor a --version after a command print the parser's bare text with exit 1.
        var problems = Lethe.Hosts.ParseProblems.Of(parse, args, "lethe-firewall");
        if (problems.Count > 0)
        {
            // A flag error like any other (exit 2, `error:` on stderr); the help text on stdout would
            // land in whatever `nft > ruleset.nft` was writing.
            foreach (var problem in problems)
            {
                // The parser quotes what was typed: escaped, and a pasted blob by its start and length.
                await error.WriteLineAsync($"error: {Lethe.Hosts.ArgvText.Shown(Lethe.Hosts.ParseErrorText.Readable(problem), args)}");
            }
            var command = parse.CommandResult.Command;
            await error.WriteLineAsync(command == root ? "(see: lethe-firewall --help)" : $"(see: lethe-firewall {command.Name} --help)");
            return 2;
        }
        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }
}
