namespace Lethe.Control.Cli;

/// <summary>A refusal to show the operator: the message goes to stderr and the exit code is non-zero.</summary>
public sealed class CliException(string message, IReadOnlyList<string>? details = null) : Exception(message)
{
    public IReadOnlyList<string> Details { get; } = details ?? [];
}
