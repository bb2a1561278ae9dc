using System.CommandLine;

namespace Lethe.Control.Cli;

public static class ClientCommands
{
    public static Command Client(CliContext cli)
    {
        var command = new Command("client", "Add and remove clients (downstream machines, each known by its IPv4 and IPv6 addresses)");

        var policy = CliArguments.Policy();
        var name = new Argument<string>("name") { Description = "Client name: 1 to 63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit" };
        var address = new Option<string[]>("--address") { Description = "An IPv4 or IPv6 address of the client (repeatable; at least one)", Required = true, AllowMultipleArgumentsPerToken = false };
        var reason = CliContext.Reason();
        var add = new Command("add", $"Add a client; refused in a policy of {Lethe.Domain.Snapshots.SnapshotLimits.MaxClients} clients, the most a firewall tells apart") { policy, name, address, reason };
        add.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).Post($"/policies/{ApiPath.Segment(parse, policy)}/clients",
                new { name = parse.GetValue(name), addresses = parse.GetValue(address) ?? [], reason = parse.GetValue(reason) ?? "" }, ["version"], ct);
            if (cli.WantsJson(parse)) cli.PrintJson(result);
            else cli.Out.WriteLine($"added client {parse.GetValue(name)} (policy version {result!["version"]})");
            return 0;
        }));

        var removePolicy = CliArguments.Policy();
        var removeName = new Argument<string>("name") { Description = "The client's name (lethe show POLICY lists them)" };
        var removeReason = CliContext.Reason();
        var remove = new Command("remove", "Remove a client and its rules") { removePolicy, removeName, removeReason };
        remove.SetAction((parse, ct) => cli.Run(async () =>
        {
            var result = await cli.Api(parse).Post($"/policies/{ApiPath.Segment(parse, removePolicy)}/clients/{ApiPath.Segment(parse, removeName)}/remove",
                new { reason = parse.GetValue(removeReason) ?? "" }, ["version"], ct);
            if (cli.WantsJson(parse)) cli.PrintJson(result);
            else cli.Out.WriteLine($"removed client {parse.GetValue(removeName)} (policy version {result!["version"]})");
            return 0;
        }));

        command.Subcommands.Add(add);
        command.Subcommands.Add(remove);
        return command;
    }
}
