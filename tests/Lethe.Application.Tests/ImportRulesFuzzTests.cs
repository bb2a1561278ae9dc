using FluentValidation;
using Lethe.Application.Policies.GetPolicy;
using Lethe.Application.Rules.ImportRules;
using Lethe.Domain.Rules;
using Lethe.TestSupport;

namespace Lethe.Application.Tests;

/// <summary>
/// `lethe rule import` reads a whole file someone else wrote. Seeded files (<see cref="ImportFiles"/>) are either
/// imported whole, each rule in its canonical form and file order, or refused naming every bad line by its number in
/// the file (under "line N.KEY", the message starting "line N:"), and a refused import changes nothing.
/// LETHE_RULE_FUZZ_ITERATIONS runs more files through the validator off CI, LETHE_RULE_FUZZ_SEED other ones.
/// </summary>
public sealed class ImportRulesFuzzTests
{
    private static readonly int Files =
        int.TryParse(Environment.GetEnvironmentVariable("LETHE_RULE_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : 5_000;

    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void a_mutated_file_is_taken_whole_or_refused_naming_each_bad_line()
    {
        var random = new Random(int.TryParse(Environment.GetEnvironmentVariable("LETHE_RULE_FUZZ_SEED"), out var seed) ? seed : 31337);
        var validator = new ImportRulesValidator(new ManualClock(Now));
        var failures = new List<string>();
        int taken = 0, refused = 0;
        for (var i = 0; i < Files && failures.Count < 5; i++)
        {
            var file = ImportFiles.File(random, mutate: i % 3 == 0 ? 0 : 30);
            string? failure;
            try
            {
                failure = Judge(validator, file, ref taken, ref refused);
            }
            catch (Exception e)
            {
                failure = $"validation threw {e.GetType().Name}: {e.Message}";
            }
            if (failure is not null)
            {
                failures.Add($"file {i}: {Lethe.Domain.TerminalText.Safe(file)}\n  {failure}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(taken > Files / 4 && refused > Files / 4, $"{taken} taken, {refused} refused");
    }

    /// <summary>Through the use case and PostgreSQL, a few files: a refused import leaves the events and the client's rules as they were.</summary>
    [Fact]
    public async Task a_refused_import_changes_nothing_and_a_taken_one_adds_exactly_its_rules()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        var random = new Random(4242);
        int taken = 0, refused = 0;
        for (var i = 0; i < 12; i++)
        {
            var file = ImportFiles.File(random, mutate: i % 2 == 0 ? 0 : 40);
            var lines = ImportFiles.Lines(file);
            var replace = i % 4 == 1 || i % 4 == 2;
            var rules = ImportLines.Rules(lines).ToArray();
            var meant = rules.Select(r => RuleParser.TryParse(r.Text, Now.ToUnixTimeSeconds(), out var rule, out _) ? rule.ToString() : null).ToArray();
            var events = await host.EventCount();
            var held = (await host.Ask(new GetPolicy("home"))).Draft.FindClient("work")!.Rules.Select(r => (r.Id, r.Rule)).ToArray();
            var shown = Lethe.Domain.TerminalText.Safe(file);

            if (rules.Length > 0 && meant.All(m => m is not null))
            {
                var imported = await host.Send(new ImportRules("home", "work", lines, replace, $"file {i}"));
                var after = (await host.Ask(new GetPolicy("home"))).Draft.FindClient("work")!.Rules;
                Assert.Equal((replace ? [] : held).Concat(imported.Ids.Zip(meant, (id, rule) => (id, rule!))), after.Select(r => (r.Id, r.Rule)));
                Assert.Equal(events + 1, await host.EventCount());
                taken++;
            }
            else
            {
                var refusal = await Assert.ThrowsAsync<ValidationException>(() => host.Send(new ImportRules("home", "work", lines, replace, $"file {i}")));
                var bad = rules.Where((_, at) => meant[at] is null).Select(r => $"line {r.Number}.").ToArray();
                Assert.True(bad.Length == 0 ? refusal.Errors.Any(e => e.PropertyName == "Lines")
                    : bad.All(line => refusal.Errors.Any(e => e.PropertyName.StartsWith(line, StringComparison.Ordinal))), $"{shown}: {refusal.Message}");
                Assert.Equal(events, await host.EventCount());
                Assert.Equal(held, (await host.Ask(new GetPolicy("home"))).Draft.FindClient("work")!.Rules.Select(r => (r.Id, r.Rule)));
                refused++;
            }
        }
        Assert.True(taken > 0 && refused > 0, $"{taken} taken, {refused} refused");
    }

    /// <summary>Null when the validator's answer is what the file's lines call for; otherwise how it differs.</summary>
    private static string? Judge(ImportRulesValidator validator, string file, ref int taken, ref int refused)
    {
        var lines = ImportFiles.Lines(file);
        var result = validator.Validate(new ImportRules("home", "work", lines, false, "fuzz"));
        var now = Now.ToUnixTimeSeconds();

        // What the file calls for, line by line as a reader counts them: a rule on each line that is not blank or a comment.
        var bad = new Dictionary<int, RuleError>();
        var any = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var text = lines[i].TrimEnd('\r');
            if (i == 0)
            {
                text = text.TrimStart('\ufeff');
            }
            // Blank means spaces and tabs only: a line of Unicode spaces is a rule, refused for them.
            if (text.Trim(' ', '\t').Length == 0 || text.TrimStart(' ', '\t').StartsWith('#'))
            {
                continue;
            }
            any = true;
            if (!RuleParser.TryParse(text, now, out _, out var error))
            {
                bad[i + 1] = error;
            }
        }

        if (result.IsValid)
        {
            taken++;
            return !any ? "a file with no rules was taken"
                : bad.Count > 0 ? $"taken, though line {bad.Keys.First()} is refused alone: {bad.Values.First().Message}"
                : null;
        }
        refused++;
        if (!any)
        {
            return result.Errors.Count == 1 && result.Errors[0].PropertyName == "Lines" ? null : $"no rules, yet refused so: {Errors(result)}";
        }
        var named = new Dictionary<int, string>();
        foreach (var failure in result.Errors)
        {
            var dot = failure.PropertyName.IndexOf('.');
            if (!failure.PropertyName.StartsWith("line ", StringComparison.Ordinal) || dot < 0
                || !int.TryParse(failure.PropertyName[5..dot], out var number))
            {
                return $"refused under '{failure.PropertyName}', which names no line: {Errors(result)}";
            }
            if (!bad.TryGetValue(number, out var error))
            {
                return $"refused naming line {number}, which parses alone: {Errors(result)}";
            }
            if (failure.PropertyName != $"line {number}.{error.Key}" || failure.ErrorMessage != $"line {number}: {error.Message}")
            {
                return $"line {number} refused as '{failure.PropertyName}: {failure.ErrorMessage}', alone it is '{error.Key}: {error.Message}'";
            }
            if (!Lethe.Domain.TerminalText.IsPlain(failure.ErrorMessage))
            {
                return $"line {number}'s message holds a control character: {Lethe.Domain.TerminalText.Safe(failure.ErrorMessage)}";
            }
            named[number] = failure.PropertyName;
        }
        var missed = bad.Keys.Where(line => !named.ContainsKey(line)).ToArray();
        return missed.Length > 0 ? $"line {missed[0]} is bad but not named: {Errors(result)}"
            : bad.Count == 0 ? $"every line parses, yet refused: {Errors(result)}"
            : null;
    }

    private static string Errors(FluentValidation.Results.ValidationResult result) =>
        Lethe.Domain.TerminalText.Safe(string.Join("; ", result.Errors.Select(e => $"{e.PropertyName}: {e.ErrorMessage}")));
}
