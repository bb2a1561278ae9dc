using System.Text.Json.Nodes;
using Lethe.Control.Cli;
using Lethe.Control.Tests.CliFuzz;
using Lethe.TestSupport.ArgvFuzz;
using Lethe.TestSupport.Host;
using Xunit.Abstractions;

namespace Lethe.Control.Tests;

/// <summary>
/// `lethe` command lines from the README's table, mutated (a slot dropped, doubled, swapped or given an odd value; an
/// unknown token or `--` put in; a command misspelt), run against the real server and PostgreSQL from a fixed seed.
/// What a user relies on: exit 0 only for a command line that may be taken, else exit 1 with an `error: ` line naming
/// the option or argument at fault (or the server's refusal), no .NET stack trace, nothing on stderr a terminal acts on,
/// no huge value quoted whole, and a refused command changes nothing (events, snapshots, the policy as GET answers it).
/// --server and --token are never mutated (they come right after the command words): a fuzzer must not send changes elsewhere.
/// LETHE_CLI_FUZZ_ITERATIONS sets how many command lines (default 300, about 15 s); LETHE_CLI_FUZZ_SEED the seed.
/// </summary>
public class CliArgvFuzzTests(HostFixture fixture, ITestOutputHelper output) : IClassFixture<HostFixture>
{
    private const string Policy = "cf";

    private ControlPlaneHost Host => fixture.Host;

    internal static int Iterations(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("LETHE_CLI_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : fallback;

    internal static int Seed(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("LETHE_CLI_FUZZ_SEED"), out var s) ? s : fallback;

    [Fact]
    public async Task mutated_command_lines_exit_0_only_when_valid_and_refusals_name_the_fault_and_change_nothing()
    {
        var iterations = Iterations(300);
        var seed = Seed(20261202);
        var random = new Random(seed);
        using var editor = Host.Client();
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);
        using var files = new CliFuzzFiles(Host.PublicKeyPath, Path.Combine(Host.KeyDirectory, Lethe.Infrastructure.Signing.SigningKeyFiles.PrivateKeyFile));
        await editor.CreatePolicyWithWork(Policy);
        await editor.AddRule(Policy, "work", "action=accept dst4=192.0.2.10 proto=tcp dstports=443");
        await editor.AddTest(Policy, "work", "192.0.2.10", "tcp", 443, "accept");
        await editor.Publish(Policy);
        await File.WriteAllBytesAsync(files.Snapshot, await editor.GetByteArrayAsync($"/policies/{Policy}/snapshots/1"));
        using var http = ApiHttp.Create();

        var failures = new List<string>();
        int accepted = 0, refused = 0, surelyInvalid = 0;
        var byCommand = new SortedDictionary<string, (int Ok, int Refused)>(StringComparer.Ordinal);
        for (var i = 0; i < iterations && failures.Count < 10; i++)
        {
            var draft = await Replenish(editor);
            var seedLine = new LetheSeeds(Policy, draft, files, i).Next(random);
            var run = ArgvMutations.Apply(seedLine, random);
            surelyInvalid += run.SurelyInvalid ? 1 : 0;
            var before = await LogState.Of(Host, Policy);
            var (code, stdout, stderr) = await Run(run, http);
            var wrong = ArgvOutcome.Problem(run, code, stdout, stderr, [0, 1], refusalOnStdout: seedLine.Words is ["rule", "parse"]);
            if (wrong is null && code != 0)
            {
                var after = await LogState.Of(Host, Policy);
                wrong = after == before ? null : $"refused, yet changed the log: events {before.Events} -> {after.Events}, snapshots {before.Snapshots} -> {after.Snapshots}" +
                    (after.Draft == before.Draft ? "" : ", the policy reads differently");
            }
            var name = string.Join(' ', seedLine.Words);
            var counts = byCommand.GetValueOrDefault(name);
            byCommand[name] = code == 0 ? (counts.Ok + 1, counts.Refused) : (counts.Ok, counts.Refused + 1);
            if (code == 0) accepted++; else refused++;
            if (wrong is not null)
            {
                failures.Add($"#{i} lethe {string.Join(' ', run.Args.Select(ArgvMutations.Shown))}\n  mutation: {run.Mutation}\n  {wrong}\n  exit {code}, stderr: {Cut(stderr)}");
            }
        }

        var report = $"seed {seed}, {accepted + refused} command lines: {accepted} exited 0, {refused} refused ({surelyInvalid} surely invalid); " +
            string.Join(", ", byCommand.Select(c => $"{c.Key} {c.Value.Ok}/{c.Value.Refused}"));
        output.WriteLine(report);
        Assert.True(failures.Count == 0, report + "\n\n" + string.Join("\n\n", failures));
        // Both outcomes must be common, or the mutations test only one side.
        Assert.True(accepted > iterations / 20 && refused > iterations / 2, report);
    }

    /// <summary>Runs `lethe` in-process as a shell would: --server and --token after the command words, the rules file on stdin.</summary>
    private async Task<(int Code, string Out, string Err)> Run(ArgvCase run, HttpClient http)
    {
        var words = run.Seed.Words.Length;
        string[] args = LetheSeeds.Offline(run.Seed) ? run.Args
            : [.. run.Args.Take(words), "--server", Host.Url, "--token", ControlPlaneHost.EditorToken, .. run.Args.Skip(words)];
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        try
        {
            var code = await LetheCli.Run(args, stdout, stderr, new StringReader(CliFuzzFiles.Rules), () => http);
            return (code, stdout.ToString(), stderr.ToString());
        }
        catch (Exception e)
        {
            // In a process of its own this would be the runtime's "Unhandled exception" and a stack trace.
            return (-1, stdout.ToString(), stderr + "\nUnhandled exception. " + e);
        }
    }

    private static string Cut(string text) => text.Length > 600 ? text[..600] + $"... ({text.Length} chars)" : text;

    /// <summary>
    /// Keeps something for the mutations to aim at: client work with a rule (and not so many that each command is slow), a
    /// policy test, a published version, at most 8 clients; a publish on trial is confirmed, so the watchdog changes nothing
    /// while a refusal is checked. Returns the draft the next command line is built from.
    /// </summary>
    private static async Task<JsonNode> Replenish(HttpClient editor)
    {
        var draft = await editor.Policy(Policy);
        if (draft["pendingVersion"] is not null)
        {
            await editor.Post($"/policies/{Policy}/confirm", new { reason = "fuzz: keep it" }).Ok();
        }
        var clients = draft["clients"]!.AsArray();
        if (!clients.Any(c => c!["name"].Str() == "work"))
        {
            await editor.AddClient(Policy, "work", "10.137.0.10");
        }
        var work = clients.FirstOrDefault(c => c!["name"].Str() == "work")?["rules"]!.AsArray();
        if (work is null || work.Count is 0 or > 30)
        {
            await editor.Post($"/policies/{Policy}/clients/work/rules/import",
                new { lines = new[] { "action=accept dst4=192.0.2.10 proto=tcp dstports=443", "action=drop" }, replace = true, reason = "fuzz: fewer rules" }).Ok();
        }
        foreach (var extra in clients.Where(c => c!["name"].Str() != "work").Skip(7))
        {
            (await editor.Post($"/policies/{Policy}/clients/{extra!["name"].Str()}/remove", new { reason = "fuzz: fewer clients" })).Dispose();
        }
        var tests = draft["tests"]!.AsArray();
        if (tests.Count == 0)
        {
            await editor.AddTest(Policy, "work", "192.0.2.10", "tcp", 443, "accept");
        }
        foreach (var test in tests.Skip(10))
        {
            (await editor.Post($"/policies/{Policy}/tests/{test!["id"].Str()}/remove", new { reason = "fuzz: fewer tests" })).Dispose();
        }
        return await editor.Policy(Policy);
    }
}
