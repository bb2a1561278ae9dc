namespace Lethe.Domain.Rules;

/// <summary>A rule string that does not parse; <see cref="Key"/> names the offending key.</summary>
public sealed class RuleFormatException(string key, string message) : Exception(message)
{
    public string Key { get; } = key;
}
