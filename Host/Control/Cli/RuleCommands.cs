using System.CommandLine;
using Lethe.Application.Rules.ImportRules;
using Lethe.Domain.Rules;

namespace Lethe.Control.Cli;

public static class RuleCommands
{
    public static Command Rule(CliContext cli)
    {
        var command = new Command("rule", "Add, remove, move, replace, import and parse rules (Qubes firewall rule format)");
        command.Subcommands.Add(Add(cli));
        command.Subcommands.Add(Remove(cli));
        command.Subcommands.Add(Move(cli));
        command.Subcommands.Add(Replace(cli));
        command.Subcommands.Add(Import(cli));
        command.Subcommands.Add(Parse(cli));
        return command;
    }

    private static Command Add(CliContext cli)
    {
        var policy = CliArguments.Policy();
        var client = CliArguments.Client();
        var rule = CliArguments.Rule();
        var position = new Option<int?>("--position") { Description = "0-based position; the rule there and after move down (default: append)" };
        var reason = CliContext.Reason();
        var add = new Command("add",
            $"Add a rule to a client; prints the new rule's id. Refused for a client of {Lethe.Domain.Snapshots.SnapshotLimits.MaxRulesPerClient} rules, the most a firewall takes") { policy, client, rule, position, reason };
        add.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).Post($"/policies/{ApiPath.Segment(parse, policy)}/clients/{ApiPath.Segment(parse, client)}/rules",
                new { rule = parse.GetValue(rule), position = parse.GetValue(position), reason = parse.GetValue(reason) ?? "" }, ["id"], ct);
            if (cli.WantsJson(parse)) cli.PrintJson(result);
            else cli.Out.WriteLine(PolicyCommands.S(result!["id"]));
            return 0;
        }));
        return add;
    }

    private static Command Remove(CliContext cli)
    {
        var policy = CliArguments.Policy();
        var id = CliArguments.RuleId();
        var reason = CliContext.Reason();
        var remove = new Command("remove", "Remove a rule by id") { policy, id, reason };
        remove.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).Post($"/policies/{ApiPath.Segment(parse, policy)}/rules/{ApiPath.Segment(parse, id)}/remove",
                new { reason = parse.GetValue(reason) ?? "" }, ["version"], ct);
            if (cli.WantsJson(parse)) cli.PrintJson(result);
            else cli.Out.WriteLine($"removed rule {parse.GetValue(id)} (policy version {result!["version"]})");
            return 0;
        }));
        return remove;
    }

    private static Command Move(CliContext cli)
    {
        var policy = CliArguments.Policy();
        var id = CliArguments.RuleId();
        var position = new Option<int>("--position") { Description = "0-based position the rule ends up at", Required = true };
        var reason = CliContext.Reason();
        var move = new Command("move", "Move a rule within its client's list") { policy, id, position, reason };
        move.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).Post($"/policies/{ApiPath.Segment(parse, policy)}/rules/{ApiPath.Segment(parse, id)}/move",
                new { position = parse.GetValue(position), reason = parse.GetValue(reason) ?? "" }, ["version"], ct);
            if (cli.WantsJson(parse)) cli.PrintJson(result);
            else cli.Out.WriteLine($"moved rule {parse.GetValue(id)} to {parse.GetValue(position)} (policy version {result!["version"]})");
            return 0;
        }));
        return move;
    }

    private static Command Replace(CliContext cli)
    {
        var policy = CliArguments.Policy();
        var id = CliArguments.RuleId();
        var rule = CliArguments.Rule();
        var reason = CliContext.Reason();
        var replace = new Command("replace", "Replace a rule's text; it keeps its id and position") { policy, id, rule, reason };
        replace.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).Post($"/policies/{ApiPath.Segment(parse, policy)}/rules/{ApiPath.Segment(parse, id)}/replace",
                new { rule = parse.GetValue(rule), reason = parse.GetValue(reason) ?? "" }, ["id", "rule"], ct);
            if (cli.WantsJson(parse)) cli.PrintJson(result);
            else cli.Out.WriteLine($"{result!["id"]}: {result["rule"]}");
            return 0;
        }));
        return replace;
    }

    private static Command Import(CliContext cli)
    {
        var policy = CliArguments.Policy();
        var client = CliArguments.Client();
        var file = new Argument<string>("file") { Description = "A file of rules, one per line as `qvm-firewall --raw list` prints them, or - for stdin" };
        var replace = new Option<bool>("--replace") { Description = "Replace the client's rules instead of appending" };
        var reason = CliContext.Reason();
        var import = new Command("import",
            "Import a client's rules from Qubes: all or nothing, one change in the history; refused if it would leave the client more than " +
            $"{Lethe.Domain.Snapshots.SnapshotLimits.MaxRulesPerClient} rules, the most a firewall takes")
            { policy, client, file, replace, reason };
        import.SetAction((parse, ct) => cli.Run(async () =>
        {
            var path = parse.GetValue(file)!;
            if (path.Length == 0)
            {
                throw new CliException("FILE is empty: give the file of rules, or - for stdin");
            }
            var text = await RulesInput.Read(path, cli.In, ct);
            // The control plane refuses such an import by its count; counted here, a wrong file of millions
            // of lines is not held as millions of strings (over half a GB for 16 MiB) only to be sent and refused.
            if (ImportLines.CountRules(text) is var count && count > Lethe.Domain.Snapshots.SnapshotLimits.MaxRulesPerClient)
            {
                throw new CliException($"{(path == "-" ? "stdin" : path)} holds {count:N0} rules; a client holds at most " +
                    $"{Lethe.Domain.Snapshots.SnapshotLimits.MaxRulesPerClient:N0} (a firewall's tables for a client grow with the square of its rules), " +
                    "so the control plane would refuse it: nothing was sent");
            }
            var result = await cli.Api(parse).Post($"/policies/{ApiPath.Segment(parse, policy)}/clients/{ApiPath.Segment(parse, client)}/rules/import",
                new { lines = RuleLines(text), replace = parse.GetValue(replace), reason = parse.GetValue(reason) ?? "" }, ["ids"],
                answer => AnswerShape.List(answer["ids"], "an \"ids\"", ofObjects: false), ct);
            if (cli.WantsJson(parse)) cli.PrintJson(result);
            else
            {
                foreach (var id in result!["ids"]!.AsArray())
                {
                    cli.Out.WriteLine(PolicyCommands.S(id));
                }
            }
            return 0;
        }));
        return import;
    }

    /// <summary>
    /// The file's lines as the import reads them: its rules, each at its line's place, and an empty line for
    /// every other (a blank line, a comment), so that the control plane names a bad rule by the file's line
    /// number without being sent comments of any size or script.
    /// </summary>
    private static string[] RuleLines(string text)
    {
        var all = text.Split('\n');
        var lines = new string[all.Length];
        Array.Fill(lines, "");
        var last = 0;
        foreach (var (number, rule) in ImportLines.Rules(all))
        {
            lines[number - 1] = rule;
            last = number;
        }
        return lines[..last];
    }

    private static Command Parse(CliContext cli)
    {
        var rules = new Argument<string[]>("rule") { Description = "Rules to check, or - to read one rule per line from stdin (blank and # lines skipped, as import does)", Arity = ArgumentArity.OneOrMore };
        var parseCommand = new Command("parse", "Check rules offline; prints the canonical form or `error: ...` for each, one line per rule") { rules };
        // Stdin from a folder or stdout to a full disk: an error line, like every other command's.
        parseCommand.SetAction((parse, ct) => cli.Run(async () =>
        {
            var inputs = parse.GetValue(rules)!;
            if (inputs is ["-"])
            {
                var text = await RulesInput.Read("-", cli.In, ct);
                // The lines `rule import` reads, so a file that parses here imports there.
                inputs = [.. ImportLines.Rules(text.Split('\n')).Select(line => line.Text)];
                if (inputs.Length == 0)
                {
                    // Exit 0 with no output read as "all valid", for input `rule import` refuses.
                    throw new CliException("stdin holds no rules, only blank lines and comments; rule import refuses such input too");
                }
            }
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var allValid = true;
            var results = new List<object>();
            foreach (var input in inputs)
            {
                var ok = RuleParser.TryParse(input, now, out var rule, out var error);
                allValid &= ok;
                if (cli.WantsJson(parse))
                {
                    results.Add(new { input, rule = rule?.ToString(), error = error is null ? null : new { key = error.Key, message = error.Message } });
                }
                else
                {
                    cli.Out.WriteLine(ok ? rule!.ToString() : $"error: {Lethe.Domain.TerminalText.Safe(error!.Message)}");
                }
            }
            if (cli.WantsJson(parse))
            {
                cli.PrintJson(results);
            }
            return allValid ? 0 : 1;
        }));
        return parseCommand;
    }
}
