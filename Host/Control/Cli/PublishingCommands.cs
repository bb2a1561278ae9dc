using System.CommandLine;
using System.Text.Json.Nodes;
using static Lethe.Control.Cli.PolicyCommands;

namespace Lethe.Control.Cli;

public static class PublishingCommands
{
    public static Command Publish(CliContext cli)
    {
        var policy = CliArguments.Policy();
        var within = new Option<int?>("--confirm-within")
        {
            Description = "Commit-confirmed: unless `lethe confirm` arrives within this time (1 s to 1 day: 90s, 5m, 1h, or plain seconds), the last confirmed version comes back (one holding content this build no longer reads cannot: this one then stays, confirmed)",
            // A parse error, as `--to abc` is: it names the option and points at --help.
            CustomParser = result =>
            {
                try
                {
                    return (int)Durations.Parse(result.Tokens.Count == 1 ? result.Tokens[0].Value : "").TotalSeconds;
                }
                catch (CliException e)
                {
                    result.AddError($"--confirm-within: {e.Message}");
                    return null;
                }
            },
        };
        var reason = CliContext.Reason();
        var publish = new Command("publish", "Run the policy tests, then seal the draft into a new signed snapshot version") { policy, within, reason };
        publish.SetAction((parse, ct) => cli.Run(async () =>
        {
            var seconds = parse.GetValue(within);
            var result = await cli.Api(parse).Post($"/policies/{ApiPath.Segment(parse, policy)}/publish",
                new { reason = parse.GetValue(reason) ?? "", confirmWithinSeconds = seconds }, Published, Deadline, ct);
            PrintPublished(cli, parse, result);
            return 0;
        }));
        return publish;
    }

    public static Command Confirm(CliContext cli)
    {
        var policy = CliArguments.Policy();
        var reason = CliContext.Reason(required: false);
        // Named here so that --help shows it: the history records this reason for a bare `lethe confirm`.
        reason.DefaultValueFactory = _ => "confirmed";
        var version = new Option<int?>("--version")
        {
            Description = "The published version you tested: refused (409) if another one waits, as when someone published since",
        };
        var confirm = new Command("confirm", "Confirm a commit-confirmed publish so it stays") { policy, reason, version };
        confirm.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).Post($"/policies/{ApiPath.Segment(parse, policy)}/confirm",
                new { reason = parse.GetValue(reason), version = parse.GetValue(version) }, ["version", "confirmedVersion"], ct);
            if (cli.WantsJson(parse)) cli.PrintJson(result);
            else cli.Out.WriteLine($"confirmed {S(result!["policy"])} version {S(result["confirmedVersion"])}: it stays (policy version {S(result["version"])}, for --if-match)");
            return 0;
        }));
        return confirm;
    }

    public static Command Rollback(CliContext cli)
    {
        var policy = CliArguments.Policy();
        var to = new Option<int>("--to")
        {
            Description = "The version whose content to publish again; the latest version: restore the draft to it, publishing nothing",
            Required = true,
        };
        var reason = CliContext.Reason();
        var rollback = new Command("rollback",
            "Publish an older version's exact content as a new version (history is never rewritten); to the latest version, discard the draft's unpublished changes instead")
            { policy, to, reason };
        rollback.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).Post($"/policies/{ApiPath.Segment(parse, policy)}/rollback",
                new { toVersion = parse.GetValue(to), reason = parse.GetValue(reason) ?? "" }, Published, Deadline, ct);
            if (result["newVersion"]?.GetValueKind() == System.Text.Json.JsonValueKind.False && !cli.WantsJson(parse))
            {
                cli.Out.WriteLine($"restored the draft of {S(result["policy"])} to version {S(result["version"])}, discarding its unpublished changes; " +
                    $"nothing was published (version {S(result["version"])} stays the latest)");
                if (result["confirmBy"] is { } by)
                {
                    // Still on trial: restoring its draft confirms nothing, and the watchdog reverts it at the deadline.
                    cli.Out.WriteLine($"version {S(result["version"])} still awaits confirmation: confirm by {CliTime.Text(by)} with `lethe confirm {S(result["policy"])}`, or it is reverted");
                }
                return 0;
            }
            PrintPublished(cli, parse, result);
            return 0;
        }));
        return rollback;
    }

    public static Command History(CliContext cli)
    {
        var policy = CliArguments.Policy();
        var limit = new Option<int?>("--limit")
        {
            Description = $"Only the newest N changes (1 to {Application.History.GetHistory.GetHistory.MaxLimit}), still printed oldest first, then the command for the next older page while there is one",
        };
        var before = new Option<long?>("--before")
        {
            Description = "Only changes before this sequence (each entry's place in the log, 1 for the create; \"sequence\" in --json), as the previous page's last line gives it",
        };
        var history = new Command("history",
            "Changes, oldest first: time, actor, snapshot version, correlation id, reason, summary (every change, or a page with --limit and --before)")
            { policy, limit, before };
        history.SetAction((parse, ct) => cli.Run(async () =>
        {
            var (most, cursor) = (parse.GetValue(limit), parse.GetValue(before));
            var query = string.Join("&", new[] { most is { } l ? $"limit={l}" : null, cursor is { } b ? $"before={b}" : null }.OfType<string>());
            var (result, older) = await cli.Api(parse).GetPage($"/policies/{ApiPath.Segment(parse, policy)}/history" + (query.Length > 0 ? "?" + query : ""),
                e => CliTime.Problem(e["at"], "an entry whose \"at\""), ct);
            var paged = most is not null || cursor is not null;
            if (cli.WantsJson(parse))
            {
                // The default call keeps its list; a page says where the next one starts.
                cli.PrintJson(paged ? new JsonObject { ["entries"] = result, ["nextBefore"] = older } : result);
                return 0;
            }
            cli.Out.Write(TextTable.Render(["AT", "ACTOR", "VERSION", "CORRELATION", "REASON", "SUMMARY"],
                result.Select(e => (IReadOnlyList<string>)[
                    // To the microsecond, as stored: a time copied from here into `show --at` includes its change.
                    CliTime.Text(e!["at"]),
                    S(e["actor"]), e["version"] is null ? "" : "v" + S(e["version"]), S(e["correlationId"]),
                    S(e["reason"]), S(e["summary"])])));
            if (older is { } next)
            {
                cli.Out.WriteLine($"older changes: lethe history {parse.GetValue(policy)}{(most is { } n ? $" --limit {n}" : "")} --before {next}");
            }
            return 0;
        }));
        return history;
    }

    public static Command Diff(CliContext cli)
    {
        var policy = CliArguments.Policy();
        var from = new Argument<string>("from") { Description = "A version number or draft" };
        var to = new Argument<string>("to") { Description = "A version number or draft" };
        var diff = new Command("diff",
            "Per client: a move among the clients, addresses gained, lost and reordered, rules added, removed, moved and changed, policy tests added and removed, between two versions (or the draft)")
            { policy, from, to };
        diff.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).GetArray(
                $"/policies/{ApiPath.Segment(parse, policy)}/diff?from={Uri.EscapeDataString(parse.GetValue(from)!)}&to={Uri.EscapeDataString(parse.GetValue(to)!)}",
                DiffShape, ct);
            if (cli.WantsJson(parse))
            {
                cli.PrintJson(result);
                return 0;
            }
            if (result.Count == 0)
            {
                cli.Out.WriteLine("no differences");
            }
            foreach (var client in result)
            {
                cli.Out.WriteLine($"client {S(client!["client"])}{(S(client["status"]) is "unchanged" ? "" : $" ({S(client["status"])})")}");
                if (client["movedFrom"] is { } movedFrom)
                {
                    cli.Out.WriteLine($"  ~ moved {S(movedFrom)} -> {S(client["movedTo"])} among the clients");
                }
                if (client["addressOrderBefore"] is JsonArray orderBefore && client["addressOrderAfter"] is JsonArray orderAfter)
                {
                    cli.Out.WriteLine($"  ~ addresses reordered: {string.Join(", ", orderBefore.Select(S))} -> {string.Join(", ", orderAfter.Select(S))}");
                }
                Lines(cli, client["addressesAdded"], "+", a => $"address {S(a)}");
                Lines(cli, client["addressesRemoved"], "-", a => $"address {S(a)}");
                Lines(cli, client["added"], "+", r => $"{S(r["id"])} at {S(r["to"])}: {S(r["rule"])}");
                Lines(cli, client["removed"], "-", r => $"{S(r["id"])} was at {S(r["from"])}: {S(r["rule"])}");
                Lines(cli, client["moved"], "~", r => $"{S(r["id"])} moved {S(r["from"])} -> {S(r["to"])}: {S(r["rule"])}");
                Lines(cli, client["changed"], "*", r => $"{S(r["id"])}: {S(r["before"])} -> {S(r["rule"])}");
                Lines(cli, client["testsAdded"], "+", t => $"test {S(t["id"])}: {PolicyCommands.TestLine(t)}");
                Lines(cli, client["testsRemoved"], "-", t => $"test {S(t["id"])}: {PolicyCommands.TestLine(t)}");
            }
            return 0;
        }));
        return diff;
    }

    /// <summary>The lists a client's entry of a diff is printed from, each one absent when it has nothing.</summary>
    private static string? DiffShape(JsonObject client) => AnswerShape.First(
        new[] { "addressesAdded", "addressesRemoved", "addressOrderBefore", "addressOrderAfter" }.Select(f => AnswerShape.OptionalList(client, f, $"a client's \"{f}\"", ofObjects: false))
            .Concat(new[] { "added", "removed", "moved", "changed", "testsAdded", "testsRemoved" }
                .Select(f => AnswerShape.OptionalList(client, f, $"a client's \"{f}\"", ofObjects: true))));

    private static void Lines(CliContext cli, JsonNode? changes, string mark, Func<JsonNode, string> describe)
    {
        foreach (var change in changes?.AsArray() ?? [])
        {
            cli.Out.WriteLine($"  {mark} {describe(change!)}");
        }
    }

    private static readonly string[] Published = ["policy", "version", "contentSha256", "keyId"];

    /// <summary>The deadline a version on trial has, which the printers format.</summary>
    private static string? Deadline(JsonObject result) => CliTime.Problem(result["confirmBy"], "a \"confirmBy\" that", optional: true);

    private static void PrintPublished(CliContext cli, ParseResult parse, JsonNode result)
    {
        if (cli.WantsJson(parse))
        {
            cli.PrintJson(result);
            return;
        }
        cli.Out.WriteLine($"published {S(result["policy"])} version {S(result["version"])}");
        cli.Out.WriteLine($"contentSha256 {S(result["contentSha256"])}");
        cli.Out.WriteLine($"keyId {S(result["keyId"])}");
        if (result["confirmBy"] is { } by)
        {
            cli.Out.WriteLine($"confirm by {CliTime.Text(by)} with `lethe confirm {S(result["policy"])}`, or it is reverted");
        }
    }
}
