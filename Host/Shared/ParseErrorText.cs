namespace Lethe.Hosts;

/// <summary>
/// System.CommandLine's message for a value of the wrong kind names a .NET type
/// ("as expected type 'System.Nullable`1[System.Int32]'"); both programs say instead what the flag takes.
/// Compiled into lethe and lethe-firewall alike (linked from Host/Shared).
/// </summary>
internal static class ParseErrorText
{
    private const string Start = "Cannot parse argument '";
    private const string ForOption = "' for option '";
    private const string AsType = "' as expected type '";

    public static string Readable(string message)
    {
        var option = message.IndexOf(ForOption, StringComparison.Ordinal);
        var type = message.IndexOf(AsType, StringComparison.Ordinal);
        if (!message.StartsWith(Start, StringComparison.Ordinal) || option < 0 || type < option)
        {
            return message;
        }
        var value = message[Start.Length..option];
        var name = message[(option + ForOption.Length)..type];
        var kind = message[(type + AsType.Length)..] switch
        {
            var t when t.Contains("Int", StringComparison.Ordinal) => "a whole number",
            var t when t.Contains("Double", StringComparison.Ordinal) => "a number",
            _ => "a value of the kind it takes",
        };
        return $"{name}: '{value}' is not {kind}";
    }
}
