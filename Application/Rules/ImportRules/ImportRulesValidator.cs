using FluentValidation;
using FluentValidation.Results;
using Lethe.Application.Common;
using Lethe.Domain.Rules;
using Lethe.Domain.Snapshots;

namespace Lethe.Application.Rules.ImportRules;

public sealed class ImportRulesValidator : AbstractValidator<ImportRules>
{
    /// <summary>Lines that are not rules named one by one; enough to see what is wrong with a file.</summary>
    public const int MaxLinesNamed = 100;

    public ImportRulesValidator(TimeProvider clock)
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.Client).IsName();
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ExpectedVersion).IsExpectedVersion();
        RuleFor(x => x.Lines).NotNull().WithMessage("'lines' is required: the rules, one per line.");
        RuleFor(x => x.Lines).Custom((lines, context) =>
        {
            for (var i = 0; i < (lines?.Count ?? 0); i++)
            {
                if (lines![i] is null)
                {
                    context.AddFailure(new ValidationFailure($"line {i + 1}.rule", $"line {i + 1}: null is not a line of text") { ErrorCode = "InvalidRule" });
                    return;
                }
            }
            var count = 0;
            foreach (var _ in ImportLines.Rules(lines ?? []))
            {
                count++;
            }
            if (count > SnapshotLimits.MaxRulesPerClient)
            {
                // Wrong whatever the client holds, --replace or not; said before a million lines are parsed for nothing.
                context.AddFailure(new ValidationFailure("lines",
                    $"The import holds {count:N0} rules; a client holds at most {SnapshotLimits.MaxRulesPerClient:N0} (a firewall's tables for a client grow " +
                    "with the square of its rules), so no version could hold them all: merge rules into networks."));
                return;
            }
            var any = false;
            var refused = 0;
            foreach (var (number, text) in ImportLines.Rules(lines ?? []))
            {
                any = true;
                if (!RuleParser.TryParse(text, clock.GetUtcNow().ToUnixTimeSeconds(), out _, out var error) && ++refused <= MaxLinesNamed)
                {
                    context.AddFailure(new ValidationFailure($"line {number}.{error.Key}", $"line {number}: {error.Message}")
                    {
                        ErrorCode = "InvalidRule",
                        AttemptedValue = text,
                    });
                }
            }
            if (refused > MaxLinesNamed)
            {
                // The rest counted, not named: a wrong file of 16 MiB holds millions of lines, and an answer naming each took gigabytes.
                context.AddFailure(new ValidationFailure("lines", $"{refused - MaxLinesNamed:N0} more line(s) are not rules either ({refused:N0} in all; the first {MaxLinesNamed} are named).")
                {
                    ErrorCode = "InvalidRule",
                });
            }
            if (lines is not null && !any)
            {
                // Wrong whatever the client holds (with replace it would clear the client), so named under its field.
                context.AddFailure("The import holds no rules, only blank lines and comments; to remove a client's rules, remove them one by one.");
            }
        });
    }
}
