using System.Diagnostics;
using System.Globalization;
using ControlPlaneServer = Lethe.Control.Server.ControlPlane;
using Lethe.Infrastructure.Signing;
using Lethe.TestSupport;
using Lethe.TestSupport.Host;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Lethe.Bench.ControlPlane;

/// <summary>
/// Where start-up time goes: a fresh child process (cold JIT, as `lethe serve` starts) times each
/// step `lethe serve` takes: runtime to Main, ControlPlane.Build, CheckReady (signing key, Marten
/// store, first query), Kestrel start, then the first GET /health and the first GET /policies.
/// bench/startup measures the real `lethe serve` end to end; this splits the time up.
/// </summary>
public static class StartupPhases
{
    public const string ChildVerb = "startup-phases-child";

    public const string ChildConnectionVariable = "LETHE_BENCH_CHILD_CONNECTION";

    public static readonly string[] Names = ["runtime to Main", "ControlPlane.Build", "CheckReady", "Kestrel start", "first GET /health", "first GET /policies"];

    public static async Task<int> Child(string connectionString, string keyDir)
    {
        var main = DateTime.Now - Process.GetCurrentProcess().StartTime;
        var phases = new List<double> { main.TotalMilliseconds };
        var started = Stopwatch.GetTimestamp();
        double Lap()
        {
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            started = Stopwatch.GetTimestamp();
            return ms;
        }

        var app = ControlPlaneServer.Build([], ControlPlaneHost.Settings(connectionString, keyDir, 5));
        phases.Add(Lap());
        await ControlPlaneServer.CheckReady(app, CancellationToken.None);
        phases.Add(Lap());
        await app.StartAsync();
        phases.Add(Lap());
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        (await http.GetAsync("/health")).EnsureSuccessStatusCode();
        phases.Add(Lap());
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ControlPlaneHost.EditorToken);
        (await http.GetAsync("/policies")).EnsureSuccessStatusCode();
        phases.Add(Lap());
        await app.StopAsync();
        await app.DisposeAsync();
        Console.WriteLine("phases " + string.Join(" ", phases.Select(p => p.ToString("F1", CultureInfo.InvariantCulture))));
        return 0;
    }

    public static async Task<Stats[]> Run(int runs, TextWriter log)
    {
        await using var database = await TestDatabase.Create();
        var keyDir = Path.Combine(Path.GetTempPath(), "lethe-bench-keys-" + Guid.NewGuid().ToString("N"));
        SigningKeyFiles.Generate(keyDir);
        try
        {
            var samples = Names.Select(_ => new List<double>()).ToArray();
            for (var i = 0; i < runs + 1; i++)
            {
                var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
                if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
                {
                    info.ArgumentList.Add(typeof(StartupPhases).Assembly.Location);
                }
                info.ArgumentList.Add(ChildVerb);
                info.ArgumentList.Add(keyDir);
                info.Environment[ChildConnectionVariable] = database.ConnectionString;
                info.Environment["Logging__Console__LogToStandardErrorThreshold"] = "Trace";
                using var child = Process.Start(info)!;
                var stderr = child.StandardError.ReadToEndAsync();
                var output = await child.StandardOutput.ReadToEndAsync();
                await child.WaitForExitAsync();
                var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("phases ", StringComparison.Ordinal))
                           ?? throw new InvalidOperationException($"startup child failed ({child.ExitCode}): {output}{await stderr}");
                var values = line["phases ".Length..].Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                if (i == 0)
                {
                    continue; // the first start warms the file cache, as bench/startup's unmeasured start does
                }
                for (var p = 0; p < values.Length; p++)
                {
                    samples[p].Add(values[p]);
                }
                log.WriteLine($"  start {i}: {values.Sum():F0} ms ({line["phases ".Length..]})");
            }
            return samples.Select(s => new Stats(s)).ToArray();
        }
        finally
        {
            Directory.Delete(keyDir, recursive: true);
        }
    }
}
