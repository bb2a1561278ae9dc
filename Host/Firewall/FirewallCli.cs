using System.CommandLine;

namespace Lethe.Firewall;

/// <summary>The `lethe-firewall` command tree.</summary>
public static class FirewallCli
{
    public static Task<int> Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("lethe-firewall: the packet path of Lethe. Boots from a sealed, signed snapshot, keeps its state in memory only, and never writes to disk.");
        root.Subcommands.Add(VerifyCommand.Build(output, error));
        root.Subcommands.Add(ReplayCommand.Build(output, error));
        root.Subcommands.Add(BootCommand.Build(output, error));
        root.Subcommands.Add(NftCommand.Build(output, error));
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }
}
