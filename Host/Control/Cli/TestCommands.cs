using System.CommandLine;

namespace Lethe.Control.Cli;

public static class TestCommands
{
    public static Command Test(CliContext cli)
    {
        var command = new Command("test", "Policy tests: assertions every publish must pass");

        var policy = CliArguments.Policy();
        var client = new Option<string>("--client") { Description = "The client the traffic comes from", Required = true };
        var to = new Option<string>("--to") { Description = "Destination address", Required = true };
        var proto = new Option<string?>("--proto") { Description = "tcp (default), udp or icmp" };
        var port = new Option<int?>("--port") { Description = "Destination port (required for tcp and udp)" };
        var icmpType = new Option<int?>("--icmp-type") { Description = "ICMP type (icmp; default echo request)" };
        var expect = new Option<string>("--expect") { Description = "accept or drop", Required = true };
        var reason = CliContext.Reason();
        var add = new Command("add", "Add a policy test") { policy, client, to, proto, port, icmpType, expect, reason };
        add.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).Post($"/policies/{ApiPath.Segment(parse, policy)}/tests", new
            {
                client = parse.GetValue(client), to = parse.GetValue(to), proto = parse.GetValue(proto), port = parse.GetValue(port),
                icmpType = parse.GetValue(icmpType), expect = parse.GetValue(expect), reason = parse.GetValue(reason) ?? "",
            }, ["id"], ct);
            if (cli.WantsJson(parse)) cli.PrintJson(result);
            else cli.Out.WriteLine(PolicyCommands.S(result!["id"]));
            return 0;
        }));

        var listPolicy = CliArguments.Policy();
        var list = new Command("list", "List a policy's tests") { listPolicy };
        list.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).GetArray($"/policies/{ApiPath.Segment(parse, listPolicy)}/tests", ct);
            if (cli.WantsJson(parse)) cli.PrintJson(result);
            else if (result.Count == 0) cli.Out.WriteLine($"policy {Lethe.Domain.QuotedText.Safe(parse.GetValue(listPolicy)!)} has no tests: lethe test add POLICY ... adds one");
            else cli.Out.Write(TextTable.Render(["ID", "CLIENT", "TO", "PROTO", "PORT", "ICMP", "EXPECT"],
                result.Select(t => (IReadOnlyList<string>)[PolicyCommands.S(t!["id"]), PolicyCommands.S(t["client"]), PolicyCommands.S(t["to"]),
                    PolicyCommands.S(t["proto"]), PolicyCommands.S(t["port"]), PolicyCommands.S(t["icmpType"]), PolicyCommands.S(t["expect"])])));
            return 0;
        }));

        var removePolicy = CliArguments.Policy();
        var id = CliArguments.TestId();
        var removeReason = CliContext.Reason();
        var remove = new Command("remove", "Remove a policy test") { removePolicy, id, removeReason };
        remove.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).Post($"/policies/{ApiPath.Segment(parse, removePolicy)}/tests/{ApiPath.Segment(parse, id)}/remove",
                new { reason = parse.GetValue(removeReason) ?? "" }, ["version"], ct);
            if (cli.WantsJson(parse)) cli.PrintJson(result);
            else cli.Out.WriteLine($"removed test {parse.GetValue(id)} (policy version {result!["version"]})");
            return 0;
        }));

        command.Subcommands.Add(add);
        command.Subcommands.Add(list);
        command.Subcommands.Add(remove);
        return command;
    }
}
