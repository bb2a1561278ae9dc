using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Lethe.Control.Api;

namespace Lethe.Control.Cli;

public static class PolicyCommands
{
    public static Command Policy(CliContext cli)
    {
        var command = new Command("policy", "Create, list and show policies");

        var name = new Argument<string>("name") { Description = "Policy name: 1 to 63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit, not with mt_ (the event store's own)" };
        var reason = CliContext.Reason();
        var create = new Command("create", "Create an empty policy") { name, reason };
        create.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).Post("/policies", new { name = parse.GetValue(name), reason = parse.GetValue(reason) ?? "" }, ["policy", "version"], ct);
            if (cli.WantsJson(parse)) cli.PrintJson(result);
            else cli.Out.WriteLine($"created policy {result!["policy"]} (version {result["version"]})");
            return 0;
        }));

        var list = new Command("list", "List policies");
        list.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).GetArray("/policies", ct);
            if (cli.WantsJson(parse)) cli.PrintJson(result);
            // A header over nothing reads as a listing that failed; say what there is and how to start.
            else if (result.Count == 0) cli.Out.WriteLine("no policies yet: lethe policy create NAME -m WHY makes one");
            else cli.Out.Write(TextTable.Render(["POLICY", "VERSION", "CLIENTS", "RULES", "PUBLISHED", "PENDING"],
                result.Select(p => (IReadOnlyList<string>)[S(p!["name"]), S(p["version"]), S(p["clients"]), S(p["rules"]), S(p["latestSnapshot"]), S(p["pendingConfirmation"])])));
            return 0;
        }));

        command.Subcommands.Add(create);
        command.Subcommands.Add(list);
        command.Subcommands.Add(Show(cli, "show"));
        return command;
    }

    /// <summary>`lethe show POLICY [--at TIME]`, also reachable as `lethe policy show`.</summary>
    public static Command Show(CliContext cli, string verb)
    {
        var name = CliArguments.Policy();
        var at = new Option<string?>("--at") { Description = "Show the policy as it stood at this time (ISO 8601, e.g. 2026-11-28T21:00:00Z), rules marked expired as of then" };
        var show = new Command(verb, "Show a policy's draft: clients, rules with ids (an expire's time under the rule, marked expired once passed), tests, versions") { name, at };
        show.SetAction((parse, ct) => cli.Run(async () =>
        {
            var path = $"/policies/{ApiPath.Segment(parse, name)}";
            DateTimeOffset? asked = null;
            if (parse.GetValue(at) is { } time)
            {
                if (!IsoTime.TryRead(time, out var moment))
                {
                    throw new CliException($"--at: '{time}' is not a time; use ISO 8601 such as 2026-11-28T21:00:00Z");
                }
                path += $"?at={Uri.EscapeDataString(moment.ToString("o", CultureInfo.InvariantCulture))}";
                asked = moment;
            }
            var (policy, answered) = await cli.Api(parse).GetObjectWithDate(path, ["name", "version", "clients", "tests"], PolicyShape, ct);
            // Which rules are dead: as the policy stood at --at; else when the control plane answered (its
            // Date header), so the operator's own clock does not decide; the local clock only without one.
            var asOf = asked ?? answered ?? DateTimeOffset.UtcNow;
            if (cli.WantsJson(parse))
            {
                cli.PrintJson(policy);
                return 0;
            }
            // Versions count from 1: a policy never published has no version 0 to name.
            var latest = S(policy["latestVersion"]);
            cli.Out.WriteLine($"policy {policy["name"]}  version {policy["version"]}  {(latest is "" or "0" ? "nothing published yet" : $"published v{latest}")}" +
                (policy["pendingVersion"] is { } pending ? $"  (v{pending} awaiting confirmation by {CliTime.Text(policy["confirmBy"])})" : ""));
            foreach (var client in policy["clients"]!.AsArray())
            {
                cli.Out.WriteLine($"client {client!["name"]}  {string.Join(", ", client["addresses"]!.AsArray().Select(S))}");
                var rules = client["rules"]!.AsArray();
                for (var i = 0; i < rules.Count; i++)
                {
                    var rule = S(rules[i]!["rule"]);
                    cli.Out.WriteLine($"  {i,3}  {S(rules[i]!["id"]),-13} {rule}");
                    // On a line of its own under the rule: after it, it would read as part of a comment.
                    if (RuleExpiry.Note(rule, asOf) is { } note)
                    {
                        cli.Out.WriteLine($"{"",21}{note}");
                    }
                }
            }
            foreach (var test in policy["tests"]!.AsArray())
            {
                cli.Out.WriteLine($"test {S(test!["id"])}  {TestLine(test)}");
            }
            return 0;
        }));
        return show;
    }

    /// <summary>What `show` prints from: clients with their addresses and rules, the policy tests, and a version on trial's deadline.</summary>
    private static string? PolicyShape(JsonObject policy) =>
        AnswerShape.List(policy["clients"], "a \"clients\"", ofObjects: true)
        ?? AnswerShape.List(policy["tests"], "a \"tests\"", ofObjects: true)
        ?? (policy["pendingVersion"] is null ? null : CliTime.Problem(policy["confirmBy"], "a \"confirmBy\" that"))
        ?? AnswerShape.Entries(policy["clients"]!.AsArray(), client => AnswerShape.First(
            AnswerShape.List(client["addresses"], "a client's \"addresses\"", ofObjects: false),
            AnswerShape.List(client["rules"], "a client's \"rules\"", ofObjects: true)));

    /// <summary>"work -> 192.0.2.1 tcp port 22 expect drop", as <c>PolicyTest.Describe</c> writes it from the API's JSON.</summary>
    public static string TestLine(JsonNode test)
    {
        var what = test["icmpType"] is { } icmp ? $" type {S(icmp)}" : test["port"] is { } port ? $" port {S(port)}" : "";
        var proto = test["proto"] is { } p ? $" {S(p)}" : "";
        return $"{S(test["client"])} -> {S(test["to"])}{proto}{what} expect {S(test["expect"])}";
    }

    public static string S(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };
}
