namespace Lethe.Domain.Rules;

/// <summary>Why a rule string was refused: the key at fault and a sentence a person understands.</summary>
public sealed record RuleError(string Key, string Message)
{
    public override string ToString() => Message;
}
