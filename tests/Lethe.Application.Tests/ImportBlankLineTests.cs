using Lethe.Application.Rules.ImportRules;
using Lethe.TestSupport;

namespace Lethe.Application.Tests;

/// <summary>
/// Which import lines are blank: empty ones and ones of spaces and tabs (a CRLF file's CR dropped), as README says.
/// A line of Unicode whitespace only looks blank: rules are printable ASCII, so it is refused like any other
/// non-ASCII character, naming its line and code point, rather than skipped unseen.
/// </summary>
public sealed class ImportBlankLineTests
{
    private static readonly ImportRulesValidator Validator = new(new ManualClock(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero)));

    [Theory]
    [InlineData("\u00A0", "U+00A0")]
    [InlineData("\u3000", "U+3000")]
    [InlineData("\u2028", "U+2028")]
    [InlineData("\u0085", "U+0085")]
    [InlineData("\u00A0\t \u00A0", "U+00A0")]
    [InlineData("\u3000# pasted from a document", "U+3000")]
    public void a_line_of_unicode_whitespace_is_refused_naming_its_line_and_code_point(string line, string codePoint)
    {
        var result = Validator.Validate(new ImportRules("home", "work", ["action=accept", line, "action=drop"], false, "import"));

        var error = Assert.Single(result.Errors);
        Assert.Equal("line 2.rule", error.PropertyName);
        Assert.StartsWith($"line 2: the rule holds {codePoint} at character 1, which is not ASCII", error.ErrorMessage);
    }

    [Fact]
    public void empty_lines_and_lines_of_spaces_and_tabs_stay_blank_in_lf_and_crlf_files()
    {
        string[] lines = ["", "action=accept\r", "   \r", "\t", " \t \r", "\r", "  # a comment\r", "\t# another", "action=drop"];

        Assert.Equal([(2, "action=accept"), (9, "action=drop")], ImportLines.Rules(lines));
        Assert.True(Validator.Validate(new ImportRules("home", "work", lines, false, "import")).IsValid);
    }

    [Theory]
    [InlineData("")]
    [InlineData("action=accept")]
    [InlineData("action=accept\n")]
    [InlineData("\uFEFFaction=accept\r\n\r\n# c\r\naction=drop")]
    [InlineData("\uFEFF\n  \t\n\uFEFFaction=drop")]
    [InlineData("\n\n \u00A0\n\t# x\naction=drop\r\n\r")]
    public void the_cli_counts_the_rules_of_a_file_as_the_import_finds_them(string text)
    {
        Assert.Equal(ImportLines.Rules(text.Split('\n')).Count(), ImportLines.CountRules(text));
    }
}
