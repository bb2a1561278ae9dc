using System.Diagnostics;

namespace Lethe.Control.Tests;

/// <summary>bench/control-plane's command line, as its wrapper and README run it.</summary>
public sealed class BenchUsageTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("check-options", "--help")]
    public async Task help_prints_the_usage_on_stdout_and_exits_0(params string[] args)
    {
        var run = await RunBench(args);

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}; stderr: {run.Err}");
        Assert.StartsWith("usage: bench/control-plane", run.Out);
        Assert.Contains("--only publish|changes|startup-phases|long-log|list", run.Out);
        Assert.Equal("", run.Err);
    }

    [Fact]
    public async Task a_mistyped_option_is_named_with_the_usage_on_stderr_and_exit_2()
    {
        var run = await RunBench("check-options", "--onyl", "publish");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Out);
        Assert.Contains("unknown option --onyl", run.Err);
        Assert.Contains("usage: bench/control-plane", run.Err);
    }

    private static async Task<(int ExitCode, string Out, string Err)> RunBench(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Lethe.Bench.ControlPlane.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        start.Environment.Remove("ConnectionStrings__Lethe");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
