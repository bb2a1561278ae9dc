using Lethe.Application.Common;
using Lethe.Domain.Policies;
using Lethe.Domain.Rules;
using Mediator;

namespace Lethe.Application.Rules.ImportRules;

/// <summary>
/// A client's rules from the lines `qvm-firewall --raw list` prints: all or nothing, one event.
/// Blank lines and lines starting with '#' are skipped.
/// </summary>
/// <param name="Lines">Required: a request that names no lines is refused, never taken as "no rules" (with Replace, that clears the client).</param>
public sealed record ImportRules(string Policy, string Client, IReadOnlyList<string>? Lines, bool Replace, string Reason, long? ExpectedVersion = null)
    : ICommand<ImportedRules>;

/// <param name="Ids">The new rules' ids, in file order.</param>
public sealed record ImportedRules(IReadOnlyList<string> Ids, long Version);

public sealed class ImportRulesHandler(PolicyWriter writer, TimeProvider clock) : ICommandHandler<ImportRules, ImportedRules>
{
    public async ValueTask<ImportedRules> Handle(ImportRules command, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var rules = ImportLines.Rules(command.Lines!)
            .Select(line => new DraftRule(Ids.NewRuleId(), RuleParser.Parse(line.Text, now).ToString()))
            .ToArray();
        var (_, version) = await writer.Apply(command.Policy, command.ExpectedVersion, command.Reason,
            policy => policy.ImportRules(command.Client, rules, command.Replace), ct);
        return new ImportedRules(rules.Select(r => r.Id).ToArray(), version);
    }
}
