using System.Globalization;
using System.Net;
using Lethe.Domain;
using Microsoft.AspNetCore.Http;

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
        CheckNames(lethe);
        CheckSeconds(lethe["ConfirmCheckSeconds"]);
        CheckFlag(lethe["CreateSchema"]);
        CheckList(lethe.GetSection("Tokens"), "Lethe:Tokens", "Lethe__Tokens__0__Token, Lethe__Tokens__0__Actor and Lethe__Tokens__0__Role");
        CheckList(lethe.GetSection("DnsResolvers"), "Lethe:DnsResolvers", "Lethe__DnsResolvers__0, Lethe__DnsResolvers__1 and so on");
        CheckLogLevels(configuration.GetSection("Logging"));
        foreach (var token in lethe.GetSection("Tokens").GetChildren())
        {
            if (token.Value is { Length: > 0 })
            {
                throw new InvalidOperationException($"Lethe:Tokens:{QuotedText.Safe(token.Key)} is one value, {QuotedText.QuoteSafe(token.Value)}: " +
                    $"give its parts, as Lethe__Tokens__{QuotedText.Safe(token.Key)}__Token, __Actor and __Role");
            }
        }
    }

    private static readonly string[] Settings = ["Urls", "SigningKey", "Tokens", "CreateSchema", "ConfirmCheckSeconds", "DnsResolvers"];
    private static readonly string[] TokenParts = ["Token", "Actor", "Role"];

    /// <summary>
    /// A misspelt name (Lethe__ConfirmCheckSecond, Lethe__Tokens__0__Tokn) is a setting nobody reads: the one meant
    /// keeps its default without a word, so a name the table does not list is refused. Names are matched as the
    /// binder matches them, whatever their case.
    /// </summary>
    private static void CheckNames(IConfigurationSection lethe)
    {
        foreach (var setting in lethe.GetChildren())
        {
            if (!Settings.Contains(setting.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"Lethe:{QuotedText.Safe(setting.Key)} is not a setting of lethe serve, so it would be ignored: " +
                    "README's table lists Urls, SigningKey, Tokens, CreateSchema, ConfirmCheckSeconds and DnsResolvers");
            }
        }
        foreach (var token in lethe.GetSection("Tokens").GetChildren())
        {
            foreach (var part in token.GetChildren())
            {
                if (!TokenParts.Contains(part.Key, StringComparer.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException($"Lethe:Tokens:{QuotedText.Safe(token.Key)}:{QuotedText.Safe(part.Key)} is not a part of a token, so it would be ignored: " +
                        "a token has Token, Actor and Role");
                }
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

    /// <summary>
    /// Logging:LogLevel:CATEGORY (and a provider's, Logging:Console:LogLevel:CATEGORY): .NET refuses a level it does not
    /// know with "Configuration value 'verbose' is not supported", which names neither the setting nor the levels it takes.
    /// </summary>
    private static void CheckLogLevels(IConfigurationSection section)
    {
        foreach (var child in section.GetChildren())
        {
            if (child.Key.Equals("LogLevel", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var level in child.GetChildren())
                {
                    // As .NET's logging reads it: a level's name in any case (or its number); empty sets no level.
                    if (level.Value is { Length: > 0 } text && !Enum.TryParse<LogLevel>(text, ignoreCase: true, out _))
                    {
                        var key = QuotedText.Safe(level.Path);
                        throw new InvalidOperationException($"{key} must be Trace, Debug, Information, Warning, Error, Critical or None, " +
                            $"not {QuotedText.QuoteSafe(text)} (env {key.Replace(":", "__", StringComparison.Ordinal)})");
                    }
                }
            }
            else
            {
                CheckLogLevels(child);
            }
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

    /// <summary>
    /// Each of Lethe:Urls must be an http or https address Kestrel can listen on, checked before anything starts: Kestrel
    /// refuses a bad one only after the database was reached, and in words that do not name the setting.
    /// </summary>
    /// <exception cref="InvalidOperationException">Names the setting and the entry.</exception>
    public static void CheckUrls(string urls)
    {
        var entries = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (entries.Length == 0)
        {
            // Kestrel would listen on its own default, localhost:5000, without a word.
            throw new InvalidOperationException("Lethe:Urls (env Lethe__Urls, or --urls) is empty: give where to listen, such as http://127.0.0.1:5080");
        }
        foreach (var entry in entries)
        {
            if (Problem(entry) is { } problem)
            {
                throw new InvalidOperationException($"Lethe:Urls (env Lethe__Urls, or --urls): {QuotedText.QuoteSafe(entry)} {problem}");
            }
        }
    }

    private static string? Problem(string entry)
    {
        if (!TerminalText.IsPlain(entry) || entry.Any(char.IsWhiteSpace))
        {
            return "holds a control character or a blank: give an address such as http://127.0.0.1:5080";
        }
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(entry);
        }
        catch (FormatException)
        {
            return "is not an address to listen on, such as http://127.0.0.1:5080";
        }
        if (address.Scheme is not ("http" or "https"))
        {
            return "is not http:// or https://";
        }
        if (address.IsUnixPipe || address.IsNamedPipe)
        {
            return null;
        }
        if (address.Port is < 0 or > 65535)
        {
            return "has a port outside 0 to 65535";
        }
        var host = address.Host;
        // Kestrel listens on every interface for * and +, and for any host name but localhost: a mistyped address
        // (127.0.0.l, lokalhost) would open the server to the network, so only the explicit forms may.
        if (host is "*" or "+" || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || IPAddress.TryParse(host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host, out _))
        {
            return null;
        }
        return "names a host that is not an address: Kestrel would listen on every interface for it; give an address " +
            "(127.0.0.1, [::1], or 0.0.0.0 for every interface) or localhost";
    }

    /// <summary>Only whether it parses: a refusal never quotes the string, which holds the password.</summary>
    /// <exception cref="InvalidOperationException">Names the setting and the part that is wrong.</exception>
    public static void CheckConnectionString(string connectionString)
    {
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            var part = e.ParamName is { Length: > 0 } name
                ? $"{QuotedText.QuoteSafe(name)} is not a setting it takes, or its value is not valid"
                : "it is not key=value pairs separated by semicolons, such as Host=127.0.0.1;Database=lethe;Username=lethe";
            throw new InvalidOperationException($"ConnectionStrings:Lethe (env ConnectionStrings__Lethe) is not a PostgreSQL connection string: {part}");
        }
    }
}
