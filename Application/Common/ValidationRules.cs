using System.Text;
using FluentValidation;
using Lethe.Domain.Rules;

namespace Lethe.Application.Common;

public static class ValidationRules
{
    /// <remarks>\z, not $: .NET's $ also matches before a final newline, and "home\n" would pass.</remarks>
    public const string NamePattern = "^[a-z0-9][a-z0-9_-]{0,62}\\z";

    public static IRuleBuilderOptions<T, string> IsName<T>(this IRuleBuilder<T, string> rule) =>
        rule.NotEmpty().Matches(NamePattern)
            .WithMessage("'{PropertyName}' must be 1 to 63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit.").AsField();

    public static IRuleBuilderOptions<T, string> IsReason<T>(this IRuleBuilder<T, string> rule) =>
        rule.NotEmpty().WithMessage("Every change needs a reason: say why (--reason).")
            .Must(r => Characters(r) <= MaxReasonCharacters)
            .WithMessage((_, r) => $"'{{PropertyName}}' must be {MaxReasonCharacters} characters or fewer; it has {Characters(r)}.")
            .Must(IsPlainText).WithMessage("'{PropertyName}' must be one line of text: no control characters (line breaks, tabs, NUL), no line or paragraph separators, no bidirectional overrides and no broken UTF-16.")
            .Must(HasVisibleText).WithMessage("'{PropertyName}' must say something: it has no letter, digit, punctuation or symbol, only blanks or invisible characters.")
            .AsField();

    public const int MaxReasonCharacters = 500;

    /// <summary>
    /// Names the field in the rule's messages ('{PropertyName}', and FluentValidation's own messages) as
    /// the request spells it and the errors object keys it ('port', 'ruleId'), which is the CLI's option
    /// too (--port), not in the default capitalised form ('Port', 'Rule Id'). Read when a message is
    /// made, so a name given by OverridePropertyName counts.
    /// </summary>
    public static IRuleBuilderOptions<T, TProperty> AsField<T, TProperty>(this IRuleBuilderOptions<T, TProperty> rule) =>
        rule.Configure(r => r.SetDisplayName(_ => r.PropertyName.Length == 0 ? r.PropertyName : char.ToLowerInvariant(r.PropertyName[0]) + r.PropertyName[1..]));

    /// <summary>The version a change was decided on, which a request gives as If-Match (refused there first, so this guards the command).</summary>
    public static IRuleBuilderOptions<T, long?> IsExpectedVersion<T>(this IRuleBuilder<T, long?> rule) =>
        rule.GreaterThan(0).WithMessage((_, version) => $"If-Match must be a policy version (1 or more) such as \"7\", not {version}.");

    /// <summary>Characters as a reader counts them: a character outside the Basic Multilingual Plane (an emoji, say) is one, not its two UTF-16 units.</summary>
    private static int Characters(string? text)
    {
        var count = 0;
        foreach (var _ in (text ?? "").EnumerateRunes())
        {
            count++;
        }
        return count;
    }

    /// <summary>
    /// Characters of a visible category that draw nothing: the braille blank, the Hangul fillers
    /// (letters by category, blank by design) and the musical null notehead (a symbol that is a blank).
    /// </summary>
    private static readonly int[] BlankLetters = [0x2800, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x1D159];

    /// <summary>
    /// A reason of only spaces, format characters (U+200B) or blank glyphs (U+2800, U+3164) passes NotEmpty yet
    /// shows as an empty column in the history.
    /// </summary>
    private static bool HasVisibleText(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return true; // NotEmpty speaks for it
        }
        foreach (var rune in text.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (!BlankLetters.Contains(rune.Value) && category is not (System.Globalization.UnicodeCategory.SpaceSeparator or System.Globalization.UnicodeCategory.Format
                or System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.NonSpacingMark
                or System.Globalization.UnicodeCategory.EnclosingMark or System.Globalization.UnicodeCategory.Surrogate
                or System.Globalization.UnicodeCategory.OtherNotAssigned or System.Globalization.UnicodeCategory.PrivateUse))
            {
                return true;
            }
        }
        return false;
    }

    /// <remarks>
    /// The reason is stored in the event's JSON headers, which PostgreSQL refuses to hold a NUL in; and an
    /// audit line with a line break in it (U+2028 and U+2029 included) could pass for two, as one with a
    /// bidirectional override could show its words in another order than they were written.
    /// </remarks>
    private static bool IsPlainText(string? text)
    {
        if (text is null)
        {
            return true;
        }
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) || char.IsLowSurrogate(c) || c is '\u2028' or '\u2029' || IsBidiOverride(c))
            {
                return false;
            }
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }
                i++;
            }
        }
        return true;
    }

    /// <summary>The embeddings, overrides and isolates of Unicode's bidirectional algorithm (not the plain marks).</summary>
    private static bool IsBidiOverride(char c) => c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069';

    /// <summary>A sealed version as a request names it: its number, or "latest".</summary>
    public static IRuleBuilderOptions<T, string> IsSnapshotVersion<T>(this IRuleBuilder<T, string> rule) =>
        rule.Must(v => v == "latest" || TryVersion(v, out _))
            .WithMessage("'version' must be a version number (1, 2, ...) or latest.");

    /// <summary>
    /// A version number as every path, query and If-Match takes one: digits only, 1 or more. A loose parse
    /// would take "+1" or " 1" for 1, and one place reading versions so would answer what another refuses.
    /// </summary>
    public static bool TryVersion(string text, out int version) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version) && version > 0;

    /// <summary>A bad rule is reported under "rule.KEY", so the field names the offending key.</summary>
    /// <param name="clock">The handler's clock: a relative expire is judged by where it lands from now.</param>
    public static IRuleBuilderOptionsConditions<T, string> IsQubesRule<T>(this IRuleBuilder<T, string> rule, TimeProvider clock, string field = "rule") =>
        rule.Custom((text, context) =>
        {
            if (!RuleParser.TryParse(text ?? "", clock.GetUtcNow().ToUnixTimeSeconds(), out _, out var error))
            {
                context.AddFailure(new FluentValidation.Results.ValidationFailure($"{field}.{error.Key}", error.Message)
                {
                    ErrorCode = "InvalidRule",
                    AttemptedValue = text,
                });
            }
        });
}
