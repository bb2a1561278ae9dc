using Lethe.Control.Cli;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>Runs `lethe` in-process for commands that need no server; any attempt to reach one fails the test.</summary>
internal static class OfflineCli
{
    public static async Task<CliRun> Run(string stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await LetheCli.Run(args, output, error, new StringReader(stdin),
            () => throw new InvalidOperationException("this command must not need the control plane"));
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public static string[] Lines(this CliRun run) => run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}
