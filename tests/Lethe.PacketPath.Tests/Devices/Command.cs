using System.Diagnostics;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>Runs a command and throws, with its output, when it fails.</summary>
internal static class Command
{
    public static string Run(string file, params string[] arguments)
    {
        var (code, output) = Execute(file, arguments);
        return code == 0 ? output : throw new InvalidOperationException($"`{file} {string.Join(' ', arguments)}` exited with {code}: {output}");
    }

    public static bool TryRun(string file, params string[] arguments) => Execute(file, arguments).Code == 0;

    /// <summary>Exit code and output (stdout, then stderr), for commands whose failure is an answer (ping).</summary>
    public static (int Code, string Output) Execute(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }
}
