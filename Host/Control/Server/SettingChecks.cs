using System.Globalization;
using Lethe.Domain;

namespace Lethe.Control.Server;

/// <summary>
/// The settings of `lethe serve` read as the operator typed them, before the configuration binder converts them:
/// its refusal names a .NET type ("to type 'System.Double'") and quotes the value whole, control characters and all,
/// and a list given as one value it drops without a word, so the server started with none.
/// </summary>
/// <remarks>Every refusal names the setting and its variable, and quotes the value escaped and cut short (<see cref="QuotedText"/>).</remarks>
public static class SettingChecks
{
    /// <exception cref="InvalidOperationException">The first setting that is not what README's table says it takes.</exception>
    public static void Check(IConfiguration configuration)
    {
        var lethe = configuration.GetSection(ControlPlaneSettings.Section);
        CheckSeconds(lethe["ConfirmCheckSeconds"]);
        CheckFlag(lethe["CreateSchema"]);
        CheckList(lethe.GetSection("Tokens"), "Lethe:Tokens", "Lethe__Tokens__0__Token, Lethe__Tokens__0__Actor and Lethe__Tokens__0__Role");
        CheckList(lethe.GetSection("DnsResolvers"), "Lethe:DnsResolvers", "Lethe__DnsResolvers__0, Lethe__DnsResolvers__1 and so on");
        foreach (var token in lethe.GetSection("Tokens").GetChildren())
        {
            if (token.Value is { Length: > 0 })
            {
                throw new InvalidOperationException($"Lethe:Tokens:{QuotedText.Safe(token.Key)} is one value, {QuotedText.QuoteSafe(token.Value)}: " +
                    $"give its parts, as Lethe__Tokens__{QuotedText.Safe(token.Key)}__Token, __Actor and __Role");
            }
        }
    }

    /// <summary>Absent means the default; anything else must be a number in range, as README's table says.</summary>
    private static void CheckSeconds(string? text)
    {
        if (text is null)
        {
            return;
        }
        // As the binder reads it (invariant culture: a decimal point, never a comma); 1e400 reads as infinity, out of range.
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !(seconds >= 0.1 && seconds <= 3600))
        {
            throw new InvalidOperationException(
                $"Lethe:ConfirmCheckSeconds must be 0.1 to 3600 (a number of seconds, such as 5 or 0.5), not {QuotedText.QuoteSafe(text)} (env Lethe__ConfirmCheckSeconds)");
        }
    }

    private static void CheckFlag(string? text)
    {
        if (text is not null && !bool.TryParse(text, out _))
        {
            throw new InvalidOperationException($"Lethe:CreateSchema must be true or false, not {QuotedText.QuoteSafe(text)} (env Lethe__CreateSchema)");
        }
    }

    /// <summary>A list given as one value (Lethe__Tokens=...) is dropped by the binder, and the server would run without it.</summary>
    /// <remarks>An empty value is an empty list (appsettings.json's <c>[]</c>), and passes.</remarks>
    private static void CheckList(IConfigurationSection section, string name, string entries)
    {
        if (section.Value is { Length: > 0 } value)
        {
            throw new InvalidOperationException($"{name} is one value, {QuotedText.QuoteSafe(value)}, where a list is read: give each entry as {entries}");
        }
    }
}
