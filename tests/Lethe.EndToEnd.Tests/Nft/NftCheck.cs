using System.Diagnostics;

namespace Lethe.EndToEnd.Tests.Nft;

/// <summary>`nft -c -f`: the kernel's own parser and validator, without changing anything.</summary>
internal static class NftCheck
{
    /// <summary>The nft binary, or null when nftables is not installed (CI installs it; then a missing one fails).</summary>
    public static string? Binary =>
        Installed is { } path
            ? path
            : OnCi
                ? throw new InvalidOperationException("nft is not installed, and CI installs nftables: apt-get install -y nftables")
                : null;

    /// <summary>The nft binary, for a test marked <see cref="NftFactAttribute"/>: it runs only where there is one, or on CI.</summary>
    public static string Required => Binary!;

    /// <summary>Why a test needing nft is skipped here, or null when it runs (nft is installed, or this is CI, where it must be).</summary>
    public static string? WhyNot() => Installed is null && !OnCi ? "needs nft (apt-get install -y nftables); CI installs it" : null;

    private static string? Installed => new[] { "/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft" }.FirstOrDefault(File.Exists);

    private static bool OnCi => Environment.GetEnvironmentVariable("CI") is { Length: > 0 };

    public static async Task<(int Code, string Error)> Check(string nft, string script)
    {
        var file = Path.Combine(Path.GetTempPath(), "lethe-nft-" + Guid.NewGuid().ToString("N") + ".nft");
        await File.WriteAllTextAsync(file, script);
        try
        {
            var start = new ProcessStartInfo(nft) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { "-c", "-f", file })
            {
                start.ArgumentList.Add(a);
            }
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await error + await output);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
