using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>CLI steps that must succeed for a test to be about what comes after them.</summary>
internal static class CliSteps
{
    /// <summary>Runs `lethe ARGS` as the editor; fails the test unless it exits 0 with nothing on stderr.</summary>
    public static async Task<CliRun> Ok(this ControlPlaneHost host, params string[] args)
    {
        var run = await host.Cli(args);
        Assert.True(run.ExitCode == 0, $"lethe {string.Join(' ', args)} exited {run.ExitCode}: {run.Err}");
        Assert.Equal("", run.Err);
        return run;
    }

    /// <summary>A new policy with the client "work" at one IPv4 and one IPv6 address.</summary>
    public static async Task<string> NewPolicyWithWork(this ControlPlaneHost host, string policy)
    {
        await host.Ok("policy", "create", policy, "--reason", "new site");
        await host.Ok("client", "add", policy, "work", "--address", "10.137.0.10", "--address", "fd09:24ef:4179::a89:a", "--reason", "work qube");
        return policy;
    }
}
