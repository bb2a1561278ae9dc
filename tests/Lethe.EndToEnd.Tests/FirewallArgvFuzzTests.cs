using Lethe.EndToEnd.Tests.FirewallFuzz;
using Lethe.Firewall;
using Lethe.TestSupport.ArgvFuzz;
using Xunit.Abstractions;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// `lethe-firewall` command lines, mutated as <see cref="ArgvMutations"/> does (a flag dropped, doubled, swapped or given
/// an odd value: missing files, folders, devices, huge counts, bad interface names and addresses), from a fixed seed.
/// verify, nft and replay run in-process; boot runs as a process where /dev/net/tun is /dev/null, each of its command lines
/// one it must refuse. What an operator relies on: exit 0 only for a command line that may be taken, else 1 or 2 with an
/// `error: ` line naming the flag at fault (or the reason a snapshot is refused), no .NET stack trace, nothing on stderr a
/// terminal acts on; a refused replay leaves no file of its making behind; a refused boot never gets as far as a device.
/// LETHE_CLI_FUZZ_ITERATIONS sets how many command lines (default 300 in-process and a twenty-fifth of that booted, about
/// 20 s); LETHE_CLI_FUZZ_SEED the seed.
/// </summary>
public sealed class FirewallArgvFuzzTests(PublishedPolicy policy, ITestOutputHelper output) : IClassFixture<PublishedPolicy>
{
    private static int Iterations => int.TryParse(Environment.GetEnvironmentVariable("LETHE_CLI_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : 300;

    private static int Seed(int fallback) => int.TryParse(Environment.GetEnvironmentVariable("LETHE_CLI_FUZZ_SEED"), out var s) ? s : fallback;

    private static readonly int[] Codes = [0, 1, 2];

    [Fact]
    public async Task mutated_verify_nft_and_replay_exit_0_only_when_valid_and_a_refusal_names_the_fault_and_writes_nothing()
    {
        var seed = Seed(20261202);
        var random = new Random(seed);
        var folder = Path.Combine(policy.Folder, "argv-fuzz");
        var seeds = new FirewallSeeds(policy, folder, Captures.Write(Path.Combine(policy.Folder, "argv-fuzz.pcap"), Captures.WorkDay()));
        seeds.WriteFiles();
        var failures = new List<string>();
        var counts = new SortedDictionary<string, (int Ok, int Refused)>(StringComparer.Ordinal);
        for (var i = 0; i < Iterations && failures.Count < 10; i++)
        {
            var line = random.Next(3) switch { 0 => seeds.Verify(random), 1 => seeds.Nft(random), _ => seeds.Replay(random) };
            var run = ArgvMutations.Apply(line, random);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code;
            try
            {
                code = await FirewallCli.Run(run.Args, stdout, stderr);
            }
            catch (Exception e)
            {
                // In a process of its own this would be the runtime's "Unhandled exception" and a stack trace.
                (code, stderr) = (-1, new StringWriter());
                stderr.Write("Unhandled exception. " + e);
            }
            var wrong = ArgvOutcome.Problem(run, code, stdout.ToString(), stderr.ToString(), Codes);
            var written = Directory.GetFileSystemEntries(seeds.Outputs);
            if (wrong is null && code != 0 && written.Length > 0)
            {
                wrong = $"refused, yet left {string.Join(", ", written.Select(Path.GetFileName))} behind";
            }
            foreach (var file in written)
            {
                File.Delete(file);
            }
            Count(counts, line.Words[0], code);
            if (wrong is not null)
            {
                failures.Add(Describe(i, run, code, stderr.ToString(), wrong));
            }
        }

        var report = Report(seed, counts);
        output.WriteLine(report);
        Assert.True(failures.Count == 0, report + "\n\n" + string.Join("\n\n", failures));
        Assert.True(counts.Values.Sum(c => c.Ok) > Iterations / 20 && counts.Values.Sum(c => c.Refused) > Iterations / 2, report);
    }

    [Fact]
    public async Task a_boot_command_line_it_must_refuse_is_refused_before_any_device_is_touched()
    {
        var seed = Seed(20261203);
        var random = new Random(seed);
        var seeds = new FirewallSeeds(policy, Path.Combine(policy.Folder, "boot-fuzz"), Captures.Write(Path.Combine(policy.Folder, "boot-fuzz.pcap"), Captures.WorkDay()));
        seeds.WriteFiles();
        var failures = new List<string>();
        var counts = new SortedDictionary<string, (int Ok, int Refused)>(StringComparer.Ordinal);
        for (var i = 0; i < Math.Max(8, Iterations / 25) && failures.Count < 5; i++)
        {
            ArgvCase run;
            do
            {
                // Only command lines boot must refuse: one it took would forward until stopped.
                run = ArgvMutations.Apply(seeds.Boot(random), random);
            }
            while (!run.SurelyInvalid);
            await using var boot = FirewallProcess.StartWithoutDevices(run.Args);
            var exit = boot.Exit(TimeSpan.FromMinutes(2));
            while (!exit.IsCompleted && !boot.Out.Contains("booted", StringComparison.Ordinal))
            {
                await Task.WhenAny(exit, Task.Delay(50));
            }
            string? wrong;
            int code = -1;
            if (!exit.IsCompleted)
            {
                await boot.Kill();
                wrong = "booted on a command line it must refuse";
            }
            else
            {
                code = await exit;
                wrong = ArgvOutcome.Problem(run, code, boot.Out, boot.Err, Codes)
                    ?? (boot.Err.Contains("cannot attach", StringComparison.Ordinal) ? "tried to attach to a device before refusing the command line" : null);
            }
            Count(counts, "boot", code);
            if (wrong is not null)
            {
                failures.Add(Describe(i, run, code, boot.Err, wrong));
            }
        }

        var report = Report(seed, counts);
        output.WriteLine(report);
        Assert.True(failures.Count == 0, report + "\n\n" + string.Join("\n\n", failures));
    }

    private static void Count(SortedDictionary<string, (int Ok, int Refused)> counts, string command, int code)
    {
        var (ok, refused) = counts.GetValueOrDefault(command);
        counts[command] = code == 0 ? (ok + 1, refused) : (ok, refused + 1);
    }

    private static string Report(int seed, SortedDictionary<string, (int Ok, int Refused)> counts) =>
        $"seed {seed}, {counts.Values.Sum(c => c.Ok + c.Refused)} command lines (exited 0 / refused): " + string.Join(", ", counts.Select(c => $"{c.Key} {c.Value.Ok}/{c.Value.Refused}"));

    private static string Describe(int i, ArgvCase run, int code, string stderr, string wrong) =>
        $"#{i} lethe-firewall {string.Join(' ', run.Args.Select(ArgvMutations.Shown))}\n  mutation: {run.Mutation}\n  {wrong}\n  exit {code}, stderr: " +
        (stderr.Length > 600 ? stderr[..600] + $"... ({stderr.Length} chars)" : stderr);
}
